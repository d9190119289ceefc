/* Image: finds each domain's ELF program and checks that the kernel can load it. */
#ifndef BHC_IMAGE_H
#define BHC_IMAGE_H

#include <stddef.h>

#include "manifest.h"

/**
 * Resolves the image of every domain of @m and each of its <alternative>s - a program name found as
 * DIR/NAME.elf in the first of @dirs that has it, or a path (containing '/')
 * relative to the manifest's directory - and checks it: a 64-bit x86_64 ELF
 * executable whose loadable segments lie in [BH_IMAGE_BASE, BH_IMAGE_END),
 * none writable and executable; and hashes the whole file (SHA-256), which the
 * plan records and the kernel checks. Fills each domain's img and each
 * alternative's img.
 * Needs: @m loaded. Returns: nothing; errors go to m->diag.
 */
void image_check_all(struct manifest *m, const char *const *dirs, size_t n_dirs);

#endif
