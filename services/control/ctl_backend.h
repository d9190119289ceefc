/* The control domain's backend: the managed domains through hypercalls, the save volume, the tail page. */
#ifndef CONTROL_CTL_BACKEND_H
#define CONTROL_CTL_BACKEND_H

#include <stdbool.h>

#include "ctl_api.h"

/*
 * One managed domain per BH_RES_DOMAIN entry of the start-info page (a <control> this domain
 * holds), in start-info order, at most CTL_DOMAINS_MAX. Save and restore use the volume
 * "saves" (a ring of the storage service, if the manifest gives one): its space is cut into
 * one equal slot per managed domain whose memory it may read (read-memory), in that order;
 * the data region the volume names is the buffer every transfer goes through. The last
 * lines come from the console's tail page (map "console-tail"), if mapped.
 */

/**
 * Finds the managed domains, opens the save volume and the tail page, and prints one line
 * saying what it found (and one per thing it could not use).
 * Needs: nothing. Returns: the backend for ctl_api_init (static: valid for good).
 */
const struct ctl_backend *ctl_backend_open(void);

#endif
