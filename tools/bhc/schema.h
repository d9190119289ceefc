/* Schema: validates a manifest's structure against the embedded bulkhead.xsd. */
#ifndef BHC_SCHEMA_H
#define BHC_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "diag.h"

/* The text of manifests/bulkhead.xsd, embedded at build time (schema_xsd.c, generated). */
extern const char schema_xsd[];
extern const size_t schema_xsd_len;

/**
 * Validates @doc against the embedded XSD and reports each structural error
 * (unknown element or attribute, missing attribute, wrong number of children,
 * stray text) to @diag in the manifest's own words. Value errors the schema
 * finds (a malformed size, an unknown perms value, ...) are left to the
 * compiler's own checks, which explain them better.
 * Needs: @doc parsed with line numbers.
 * Returns: false only if the embedded schema itself could not be loaded.
 */
bool schema_validate(xmlDocPtr doc, struct diag *diag);

#endif
