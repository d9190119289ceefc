/* Retpoline thunks for the kernel's indirect branches. */

/*
 * gcc -mindirect-branch=thunk-extern turns `call *%reg` into a call of
 * __x86_indirect_thunk_REG. Each thunk is a retpoline: the CPU's prediction
 * of the `ret` is captured by the pause/lfence loop, never by an attacker's
 * branch history. When the kernel needs no retpoline (mitigations off, or
 * enhanced IBRS), spec.c patches the first 5 bytes into `jmp *%REG`.
 */
.macro THUNK reg
	.section .text, "ax"
	.align 16
	.global __x86_indirect_thunk_\reg
__x86_indirect_thunk_\reg:
	call 1f
2:	pause
	lfence
	jmp 2b
1:	mov %\reg, (%rsp)
	ret
	.section .rodata.thunks, "a"
	.quad __x86_indirect_thunk_\reg
	jmp *%\reg
	.balign 8, 0xcc
.endm

	.section .rodata.thunks, "a"
	.align 8
	.global arch_thunk_patches, arch_thunk_patches_end
arch_thunk_patches:
	.irp r, rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15
	THUNK \r
	.endr
	.section .rodata.thunks, "a"
arch_thunk_patches_end:

	.section .note.GNU-stack, "", @progbits
