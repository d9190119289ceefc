/* Multiboot2 entry: from 32-bit protected mode to long mode in the higher half. */
#define KERNEL_VMA 0xffffffff80000000
#define MB2_MAGIC 0xe85250d6
#define MB2_BOOT_MAGIC 0x36d76289

	.section .multiboot2, "a"
	.align 8
mb2_header:
	.long MB2_MAGIC
	.long 0                              /* i386 protected mode */
	.long mb2_header_end - mb2_header
	.long -(MB2_MAGIC + (mb2_header_end - mb2_header))
	.align 8
	.short 0, 0                          /* end tag */
	.long 8
mb2_header_end:

	.section .boot.bss, "aw", @nobits
	.align 4096
boot_pml4:	.skip 4096
boot_pdpt_lo:	.skip 4096
boot_pdpt_hi:	.skip 4096
boot_pd:	.skip 4096
boot_stack:	.skip 4096
boot_stack_top:

	.section .boot.data, "aw"
	.align 16
boot_gdt:
	.quad 0
	.quad 0x00209a0000000000             /* 64-bit kernel code */
	.quad 0x0000920000000000             /* data */
boot_gdt_end:
boot_gdt_ptr:
	.short boot_gdt_end - boot_gdt - 1
	.long boot_gdt
	.global boot_mbi
boot_mbi:
	.quad 0                              /* multiboot2 info (physical) */
	.global boot_magic
boot_magic:
	.quad 0
	.global boot_tsc
boot_tsc:
	.quad 0                              /* cycle counter at kernel entry */

	.section .boot.text, "ax"
	.code32
	.global _start32
_start32:
	cli
	mov %eax, %esi
	rdtsc
	mov %eax, boot_tsc
	mov %edx, boot_tsc + 4
	mov %esi, boot_magic
	mov %ebx, boot_mbi
	mov $boot_stack_top, %esp

	/* PD: 512 x 2 MiB pages = the first 1 GiB, used for both halves. */
	mov $boot_pd, %edi
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $21, %eax
	or $0x83, %eax                       /* present, writable, 2 MiB */
	mov %eax, (%edi, %ecx, 8)
	movl $0, 4(%edi, %ecx, 8)
	inc %ecx
	cmp $512, %ecx
	jne 1b
	mov $boot_pd + 3, %eax
	mov %eax, boot_pdpt_lo               /* 0 .. 1 GiB identity */
	mov %eax, boot_pdpt_hi + 510 * 8     /* KERNEL_VMA .. +1 GiB */
	mov $boot_pdpt_lo + 3, %eax
	mov %eax, boot_pml4
	mov $boot_pdpt_hi + 3, %eax
	mov %eax, boot_pml4 + 511 * 8

	mov %cr4, %eax
	or $0x20, %eax                       /* PAE */
	mov %eax, %cr4
	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx                /* EFER: LME | NXE | SCE */
	rdmsr
	or $0x901, %eax
	wrmsr
	mov %cr0, %eax
	or $0x80010001, %eax                 /* PG | WP | PE */
	mov %eax, %cr0
	lgdt boot_gdt_ptr
	ljmp $0x08, $start64_low

	.code64
start64_low:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	xor %ax, %ax
	mov %ax, %fs
	mov %ax, %gs
	movabs $start64_high, %rax
	jmp *%rax

	.text
start64_high:
	movabs $kernel_stack_top, %rsp
	xor %ebp, %ebp
	call kernel_main
2:	hlt
	jmp 2b

/* The kernel stack, above an unmapped guard page (paging.c leaves it out). */
	.section .stack, "aw", @nobits
	.align 4096
	.global kernel_stack_guard, kernel_stack_top
kernel_stack_guard:
	.skip 4096
kernel_stack:
	.skip 16384
kernel_stack_top:

	.section .note.GNU-stack, "", @progbits
