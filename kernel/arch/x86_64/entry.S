/* Kernel entry and exit: syscall, interrupt and exception stubs, return to user. */
#define SEL_UCODE 0x2b
#define SEL_UDATA 0x23
#define VEC_SYSCALL 0x100
#define BH_HC_FLOOR 0x7fffffff
#define PC_USER_RSP 0
#define PC_FRAME_TOP 8
#define PC_KSTACK 16

.macro PUSH_GPRS
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
.endm

.macro POP_GPRS
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
.endm

	.text
/*
 * syscall: rcx = user rip, r11 = user rflags, interrupts masked by FMASK.
 * The user frame is built inside the current domain (gs:frame_top), then C
 * runs on the per-CPU kernel stack and leaves through arch_return_to_user.
 */
	.global arch_syscall_entry
arch_syscall_entry:
	cmp $BH_HC_FLOOR, %eax
	je floor
	swapgs
	mov %rsp, %gs:PC_USER_RSP
	mov %gs:PC_FRAME_TOP, %rsp
	push $SEL_UDATA
	push %gs:PC_USER_RSP
	push %r11
	push $SEL_UCODE
	push %rcx
	push $0
	push $VEC_SYSCALL
	PUSH_GPRS
	mov %gs:PC_KSTACK, %rsp
	call hypercall_entry                 /* does not return */
	ud2
floor:
	sysretq

/*
 * Interrupts and exceptions. From user mode the CPU pushed the frame at
 * TSS.rsp0 = the current domain's frame_top; from kernel mode (idle) on the
 * kernel stack. Either way: push vector and registers, call trap_entry.
 */
trap_common:
	PUSH_GPRS
	testb $3, 0x90(%rsp)                 /* cs of the interrupted context */
	jz 1f
	swapgs
	mov %rsp, %rdi
	mov %gs:PC_KSTACK, %rsp
	call trap_entry                      /* from user: does not return */
	ud2
1:	mov %rsp, %rdi
	call trap_entry                      /* from kernel: may return */
	POP_GPRS
	add $16, %rsp
	iretq

/* Leaves for the user state at %rdi (a struct arch_regs). */
	.global arch_enter_user
arch_enter_user:
	mov %rdi, %rsp
	POP_GPRS
	add $16, %rsp
	swapgs
	iretq

.macro STUB vec, has_err
	.align 16
	.if \has_err == 0
	push $0
	.endif
	push $\vec
	jmp trap_common
.endm

	.align 16
	.global arch_trap_stubs
arch_trap_stubs:
	.irp v, 0,1,2,3,4,5,6,7
	STUB \v, 0
	.endr
	STUB 8, 1
	STUB 9, 0
	.irp v, 10,11,12,13,14
	STUB \v, 1
	.endr
	STUB 15, 0
	STUB 16, 0
	STUB 17, 1
	.irp v, 18,19,20
	STUB \v, 0
	.endr
	STUB 21, 1
	.irp v, 22,23,24,25,26,27,28
	STUB \v, 0
	.endr
	STUB 29, 1
	STUB 30, 1
	STUB 31, 0
	STUB 32, 0                           /* LAPIC timer */
	STUB 33, 0                           /* spurious (0xff is remapped here) */

	.section .note.GNU-stack, "", @progbits
