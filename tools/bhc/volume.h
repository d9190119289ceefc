/* Volumes: the rules for <volume> elements - their rings, disk, data region and overlaps. */
#ifndef BHC_VOLUME_H
#define BHC_VOLUME_H

#include "manifest.h"

/**
 * Checks every <volume> of @m (docs/storage.md): a ring named after the volume with
 * the volume's client as client and the enclosing domain (the storage service) as
 * server; a disk ring with the service as client and a server that holds a device;
 * one disk per service; a data region mapped r or rw in the client, rw with
 * dma="yes" in the disk's driver, and in no other domain; no two volumes of one
 * driver's disk overlapping unless both are read-only.
 * Needs: @m loaded, its rings checked (client_idx, server_idx resolved).
 * Returns: nothing; errors go to m->diag.
 */
void volume_check(struct manifest *m);

#endif
