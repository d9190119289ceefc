/* Plan writer: lays the plan tables out as the checksummed binary of abi/plan.h and writes it. */
#ifndef BHC_PLANWRITER_H
#define BHC_PLANWRITER_H

#include <stdbool.h>
#include <stddef.h>

#include "layout.h"
#include "manifest.h"

/**
 * Serialises @l: the header, then the domain, region, map, channel, cap,
 * ioport and start-info tables in that order, each 8-byte aligned, every
 * unused byte zero, and the CRC-32 of the whole with the checksum field zero.
 * Needs: @l built by layout_build without errors; @m the manifest it came from.
 * Returns: a malloc'd buffer (caller frees) and its size in *@size.
 */
void *planwriter_serialize(const struct manifest *m, const struct layout *l, size_t *size);

/**
 * Writes @size bytes of @data to @path through a temporary file in the same
 * directory that is renamed over @path only when complete.
 * Returns: true, or false with a reason in @err (@errlen bytes).
 */
bool planwriter_write_file(const char *path, const void *data, size_t size, char *err,
                           size_t errlen);

/**
 * Formats the module list: one line per distinct image, "NAME\tABSOLUTE_PATH\n".
 * Returns: a malloc'd string (caller frees).
 */
char *planwriter_modules(const struct layout *l);

#endif
