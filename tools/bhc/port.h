/* Switch ports: the rules for <port> elements - their rings, data regions, MACs and addresses. */
#ifndef BHC_PORT_H
#define BHC_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include "manifest.h"

/**
 * Reads MAC address @s ("02:00:00:00:00:10": six two-digit hex bytes, colons between) into
 * *@mac (first byte in bits 47..40). Needs: @s a string. Returns: false if the syntax is wrong.
 */
bool port_parse_mac(const char *s, uint64_t *mac);

/**
 * Reads dotted IPv4 address @s ("10.0.2.16": four decimal bytes) into *@addr (first byte in
 * bits 31..24). Needs: @s a string. Returns: false if the syntax is wrong.
 */
bool port_parse_ipv4(const char *s, uint32_t *addr);

/**
 * Checks every <port> of @m (docs/network.md): a ring named after the port from its client
 * to the enclosing domain (the switch); a data region mapped rw in the client and in the
 * switch and in no other domain; a unicast, non-zero MAC; a valid IPv4 address if given; no
 * two ports of the system with one MAC or one IPv4 address.
 * Needs: @m loaded, its rings checked (client_idx, server_idx resolved).
 * Returns: nothing; errors go to m->diag.
 */
void port_check(struct manifest *m);

#endif
