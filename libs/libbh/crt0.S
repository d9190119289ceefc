/* libbh: domain entry point _start (rdi = start-info page, rsp = BH_STACK_TOP). */
#include "domain-ld-sum.h" /* relink every domain when domain.ld changes */
	.section .text.start, "ax", @progbits
	.globl _start
	.type _start, @function
_start:
	cld
	xorl	%ebp, %ebp		/* outermost frame for debuggers */
	movq	%rdi, %rbx		/* keep the info page; rbx is callee-saved */
	leaq	__bss_start(%rip), %rdi	/* zero .bss, whatever the loader did */
	leaq	__bss_end(%rip), %rcx
	subq	%rdi, %rcx
	xorl	%eax, %eax
	rep stosb
	movq	%rbx, %rdi
	andq	$-16, %rsp		/* the ABI wants rsp % 16 == 0 before a call */
	call	bh_start
	ud2				/* bh_start never returns */
	.size	_start, . - _start

	.section .note.GNU-stack, "", @progbits
