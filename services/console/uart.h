/* 16550 UART driver for the console service: polled output, no interrupts. */
#ifndef CONSOLE_UART_H
#define CONSOLE_UART_H

#include <stddef.h>
#include <stdint.h>

/**
 * Programs the 16550 at I/O port @base for 115200 baud, 8N1, FIFOs on, no interrupts.
 * Needs: this domain holds the ports base..base+7 (an <ioport> in the manifest).
 * Returns: nothing.
 */
void uart_init(uint16_t base);

/**
 * Sends @len bytes of @buf as they are, waiting for the transmitter before each byte.
 * Needs: uart_init() ran. Returns: nothing.
 */
void uart_write(const char *buf, size_t len);

/**
 * Sends the NUL-terminated string @s (see uart_write).
 */
void uart_puts(const char *s);

#endif
