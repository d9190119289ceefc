/* Kernel entry and exit: syscall, interrupt and exception stubs, return to user. */
#define SEL_UCODE32 0x1b
#define SEL_UCODE 0x2b
#define SEL_UDATA 0x23
#define SEL_KDATA 0x10
#define VEC_SYSCALL 0x100
#define MSR_MCG_STATUS 0x17a
#define MCG_STATUS_MCIP 0x4
#define VEC_COMPAT 0x101
#define BH_HC_FLOOR 0x7fffffff
#define PC_USER_RSP 0
#define PC_FRAME_TOP 8
#define PC_KSTACK 16
#define PC_KCR3 32
#define PC_UCR3 40
#define REGS_RIP 0x88
#define REGS_CS 0x90
#define MIT_KPTI 1
#define MIT_VERW 2
#define IST_SIZE 4096

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

/* With separate kernel page tables (KPTI), switches to them; clobbers rax. */
.macro KERNEL_CR3
	testb $MIT_KPTI, arch_mitig_flags(%rip)
	jz 99f
	mov %gs:PC_KCR3, %rax
	mov %rax, %cr3
99:
.endm

/*
 * Everything in .entry.text runs, at least partly, on a domain's own page tables
 * when the kernel uses separate ones (KPTI): it may touch only the entry window
 * (this text, .entry.data, the IST stacks and the current domain's object).
 */
	.section .entry.text, "ax"

/*
 * The frame a syscall builds inside the current domain (gs:frame_top), as the
 * CPU builds it for an interrupt: ss, rsp, rflags (r11), cs, rip (rcx).
 */
.macro SYSCALL_FRAME cs
	swapgs
	mov %rsp, %gs:PC_USER_RSP
	mov %gs:PC_FRAME_TOP, %rsp
	push $SEL_UDATA
	push %gs:PC_USER_RSP
	push %r11
	push $\cs
	push %rcx
.endm

/*
 * syscall: rcx = user rip, r11 = user rflags; FMASK cleared IF, TF, DF, AC, NT.
 * The frame is built inside the current domain, then C runs on the per-CPU
 * kernel stack and leaves through arch_return_to_user. The floor number (all
 * 64 bits of rax) returns at once, unless the return address would not be
 * canonical (sysret would fault in ring 0 on Intel): then the full path runs
 * and its exit refuses the address. With @kpti the kernel's page tables are
 * loaded once the registers are saved (no test: LSTAR points here only then),
 * and the floor clears the CPU's buffers if VERW is on.
 */
.macro SYSCALL_ENTRY kpti
	cmp $BH_HC_FLOOR, %rax
	je 2f
1:	SYSCALL_FRAME SEL_UCODE
	sub $16, %rsp                        /* error, vector: not used by hypercalls */
	PUSH_GPRS
	.if \kpti
	mov %gs:PC_KCR3, %rax
	mov %rax, %cr3
	.endif
	mov %gs:PC_KSTACK, %rsp
	call hypercall_entry                 /* does not return */
	ud2
2:	bt $47, %rcx
	jc 1b
	.if \kpti
	testb $MIT_VERW, arch_mitig_flags(%rip)
	jz 3f
	verw arch_verw_selector(%rip)
3:
	.endif
	sysretq
.endm

	.global arch_syscall_entry, arch_syscall_entry_kpti
arch_syscall_entry:                          /* the kernel shares the domain's tables */
	SYSCALL_ENTRY 0
arch_syscall_entry_kpti:                     /* separate kernel page tables */
	SYSCALL_ENTRY 1

/*
 * syscall from 32-bit compatibility mode (IA32_CSTAR): never valid. Builds a
 * frame like the 64-bit entry and lets C stop the domain.
 */
	.global arch_compat_syscall_entry
arch_compat_syscall_entry:
	SYSCALL_FRAME SEL_UCODE32
	push $0
	push $VEC_COMPAT
	PUSH_GPRS                            /* IA32_FMASK cleared AC and DF, as for syscall */
	KERNEL_CR3
	mov %rsp, %rdi
	mov %gs:PC_KSTACK, %rsp
	call trap_entry                      /* stops the domain; does not return */
	ud2

/*
 * Interrupts and exceptions. From user mode the CPU pushed the frame at
 * TSS.rsp0 = the current domain's frame_top; from kernel mode (idle) on the
 * kernel stack. Either way: clear AC and DF (a domain may have set them: AC
 * would switch SMAP off), push registers, call trap_entry.
 */
trap_common:
	pushq $2
	popfq
	PUSH_GPRS
	testb $3, REGS_CS(%rsp)              /* cs of the interrupted context */
	jz 1f
	swapgs
	KERNEL_CR3
	mov %rsp, %rdi
	mov %gs:PC_KSTACK, %rsp
	call trap_entry                      /* from user: does not return */
	ud2
1:	mov %rsp, %rdi
	call trap_entry                      /* from kernel: may return */
	POP_GPRS
	add $16, %rsp
	iretq

/*
 * Double fault and machine check, on their own IST stacks: fatal. The %gs base
 * and page tables may be the domain's: load the kernel's page tables from the
 * window and touch nothing per-CPU.
 */
fatal_common:
	pushq $2
	popfq
	PUSH_GPRS
	mov arch_kernel_cr3(%rip), %rax
	mov %rax, %cr3
	mov %rsp, %rdi
	call trap_fatal                      /* does not return */
	ud2

/*
 * Vectors 17, 21, 29 and 30 push an error code when they are exceptions, but
 * not when a device's DMA writes them as an interrupt message (the IOMMU may
 * let that through: QEMU's does). Here (%rsp) is the vector; with an error
 * code 24(%rsp) is the interrupted CS, without one it is RFLAGS, which always
 * has IF set when an interrupt is taken, and no selector has bit 9. Without
 * one, a zero error code goes in under the vector, so the frame is always the
 * same; trap_entry then finds the vector in service and ignores it.
 */
maybe_err_common:
	testl $0x200, 24(%rsp)
	jz trap_common
	pushq (%rsp)                         /* the vector, one slot lower */
	movq $0, 8(%rsp)                     /* the missing error code */
	jmp trap_common

/*
 * Machine check, on its own IST stack. A real one has MCG_STATUS.MCIP set; an
 * interrupt message with vector 18 written by a device's DMA has not, and is
 * counted and ignored (the LAPIC keeps it in service, which only holds back
 * more of the vectors 16-31, all of them unused).
 */
mc_common:
	push %rax
	push %rcx
	push %rdx
	mov $MSR_MCG_STATUS, %ecx
	rdmsr
	pop %rdx
	pop %rcx
	test $MCG_STATUS_MCIP, %eax
	pop %rax
	jnz fatal_common
	lock incq arch_mc_injected(%rip)
	add $16, %rsp                        /* vector and the stub's zero */
	iretq

/*
 * NMI, on its own IST stack: counted and ignored. It may arrive anywhere, with
 * either %gs base and either page tables, so it touches only the window.
 */
nmi_entry:
	lock incq arch_nmi_count(%rip)
	iretq

/*
 * Leaves for the user state at %rdi (a struct arch_regs). Refuses a return
 * address that is not canonical: iretq would fault in ring 0 with the frame
 * half popped. With KPTI it loads the domain's page tables (everything after
 * that lies in the entry window); with VERW it clears the CPU's buffers last.
 */
.macro EXIT kpti, verw
	btq $47, REGS_RIP(%rdi)              /* at least 5 bytes: the patch site */
	jc bad_return
	mov %rdi, %rsp
	.if \kpti
	mov %gs:PC_UCR3, %rax
	mov %rax, %cr3
	.endif
	POP_GPRS
	add $16, %rsp
	.if \verw
	verw arch_verw_selector(%rip)
	.endif
	swapgs
	iretq
.endm

/*
 * The plain exit; boot code patches its first instruction into a jump to the
 * variant the chosen mitigations need (spec.c), so the plain one pays nothing.
 */
	.global arch_enter_user, arch_enter_user_patch, arch_return_to_user
arch_return_to_user:                         /* (struct domain *): its regs come first */
arch_enter_user:
arch_enter_user_patch:
	EXIT 0, 0
	.global arch_exit_kpti, arch_exit_verw, arch_exit_kpti_verw
arch_exit_kpti:
	EXIT 1, 0
arch_exit_verw:
	EXIT 0, 1
arch_exit_kpti_verw:
	EXIT 1, 1

bad_return:
	mov %gs:PC_KSTACK, %rsp
	call trap_bad_return                 /* stops the domain; does not return */
	ud2

.macro STUB vec, has_err, target=trap_common
	.align 16
	.if \has_err == 0
	push $0
	.endif
	push $\vec
	jmp \target
.endm

/* 256 stubs of 16 bytes; idt.c points gate v at arch_trap_stubs + 16 v. */
	.align 16
	.global arch_trap_stubs
arch_trap_stubs:
	STUB 0, 0
	STUB 1, 0
	.align 16
	jmp nmi_entry                        /* 2: NMI pushes no error code */
	.irp v, 3,4,5,6,7
	STUB \v, 0
	.endr
	STUB 8, 1, fatal_common              /* double fault */
	STUB 9, 0
	.irp v, 10,11,12,13,14
	STUB \v, 1
	.endr
	STUB 15, 0
	STUB 16, 0
	STUB 17, 1, maybe_err_common
	STUB 18, 0, mc_common                /* machine check */
	.irp v, 19,20
	STUB \v, 0
	.endr
	STUB 21, 1, maybe_err_common
	.irp v, 22,23,24,25,26,27,28
	STUB \v, 0
	.endr
	STUB 29, 1, maybe_err_common
	STUB 30, 1, maybe_err_common
	STUB 31, 0
	.altmacro
	.set v, 32
	.rept 224
	STUB %v, 0
	.set v, v + 1
	.endr
	.noaltmacro

/*
 * arch_pcid_flush(flush_cr3 = rdi, kernel_cr3 = rsi): loads a domain's tables
 * without the no-flush bit, which drops every TLB entry of its PCID, then the
 * kernel's again. It runs from the entry window, mapped in both, and touches
 * no memory between the two loads. Interrupts are off.
 */
	.global arch_pcid_flush
arch_pcid_flush:
	mov %rdi, %cr3
	mov %rsi, %cr3
	ret

/* ---- window data ---- */
	.section .entry.data, "aw"
	.align 8
	.global arch_mitig_flags, arch_nmi_count, arch_mc_injected, arch_kernel_cr3, arch_verw_selector
arch_mitig_flags:
	.quad 0                              /* MIT_* of kernel/arch/x86_64/include/spec.h */
arch_nmi_count:
	.quad 0
arch_mc_injected:
	.quad 0                              /* vector 18 messages that were no machine check */
arch_kernel_cr3:
	.quad 0                              /* the kernel's own page-table root */
arch_verw_selector:
	.word SEL_KDATA

/* ---- IST stacks, each below an unmapped guard page ---- */
	.section .entry.stack, "aw", @nobits
	.align 4096
	.global arch_ist_guards, arch_ist_tops
ist_guard0:	.skip 4096
ist_df:		.skip IST_SIZE
ist_df_top:
ist_guard1:	.skip 4096
ist_nmi:	.skip IST_SIZE
ist_nmi_top:
ist_guard2:	.skip 4096
ist_mc:		.skip IST_SIZE
ist_mc_top:

	.section .entry.data, "aw"
	.align 8
arch_ist_guards:
	.quad ist_guard0, ist_guard1, ist_guard2
arch_ist_tops:
	.quad ist_df_top, ist_nmi_top, ist_mc_top

	.section .note.GNU-stack, "", @progbits
