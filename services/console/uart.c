/* 16550 UART driver for the console service: polled output, no interrupts. */
#include <string.h>

#include "uart.h"

/* Register offsets from the base port. */
#define UART_THR 0 /* transmit holding (write), DLAB=0 */
#define UART_DLL 0 /* divisor latch low, DLAB=1 */
#define UART_IER 1 /* interrupt enable, DLAB=0 */
#define UART_DLM 1 /* divisor latch high, DLAB=1 */
#define UART_FCR 2 /* FIFO control (write) */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */

#define UART_LCR_DLAB 0x80u
#define UART_LCR_8N1 0x03u
#define UART_FCR_ENABLE_CLEAR 0x07u /* enable, clear receive and transmit FIFOs */
#define UART_FCR_TRIGGER_14 0xc0u
#define UART_MCR_DTR_RTS 0x03u
#define UART_LSR_THRE 0x20u /* transmit holding register empty */

#define UART_CLOCK 115200u
#define UART_BAUD 115200u

static uint16_t uart_base;

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

void uart_init(uint16_t base)
{
	uint16_t divisor = UART_CLOCK / UART_BAUD;

	uart_base = base;
	outb(base + UART_IER, 0);
	outb(base + UART_LCR, UART_LCR_DLAB);
	outb(base + UART_DLL, divisor & 0xff);
	outb(base + UART_DLM, divisor >> 8);
	outb(base + UART_LCR, UART_LCR_8N1);
	outb(base + UART_FCR, UART_FCR_ENABLE_CLEAR | UART_FCR_TRIGGER_14);
	outb(base + UART_MCR, UART_MCR_DTR_RTS);
}

static void uart_putc(char c)
{
	while (!(inb(uart_base + UART_LSR) & UART_LSR_THRE))
		;
	outb(uart_base + UART_THR, (uint8_t)c);
}

void uart_write(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		uart_putc(buf[i]);
}

void uart_puts(const char *s)
{
	uart_write(s, strlen(s));
}
