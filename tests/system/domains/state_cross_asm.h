/* state test: the assembly of state_cross_round, state_cross_spin and the x87 markers. */
#ifndef TESTS_STATE_CROSS_ASM_H
#define TESTS_STATE_CROSS_ASM_H

#include "state_cross.h"

/*
 * Include this file from exactly one C file: it defines the symbols. The numbers are the
 * offsets of struct st_round (pinned below): in.gpr[i] at 8*i, in.flags 128,
 * in.sel 136-160; out.* 192 further; table 384 (its count slot at 552); probe 592, mark 600,
 * fx_img 624, fx_before 1136, fx_after 1648, fx_clean 2160.
 */
_Static_assert(sizeof(struct st_regs) == 192 && offsetof(struct st_regs, flags) == 128 &&
                       offsetof(struct st_regs, sel) == 136 &&
                       offsetof(struct st_regs, fs_probe) == 168,
               "state_cross_asm.h offsets");
_Static_assert(offsetof(struct st_round, out) == 192 && offsetof(struct st_round, table) == 384 &&
                       offsetof(struct st_round, probe) == 592 &&
                       offsetof(struct st_round, mark) == 600,
               "state_cross_asm.h offsets");
_Static_assert(offsetof(struct st_round, fx_img) == 624 &&
                       offsetof(struct st_round, fx_before) == 1136 &&
                       offsetof(struct st_round, fx_after) == 1648 &&
                       offsetof(struct st_round, fx_clean) == 2160,
               "state_cross_asm.h offsets");
_Static_assert(ST_FL_HELD == 0x244400, "the spin loop's and-mask");
_Static_assert(offsetof(struct st_round, out.fs_probe) == 360, "state_cross_asm.h offsets");
_Static_assert(offsetof(struct st_round, table[ST_T_COUNT]) == 552, "state_cross_asm.h offsets");
_Static_assert(ST_T_SLOTS * 8 == 208 && ST_T_HELD * 8 == 128 && ST_T_SEL * 8 == 136 &&
                       ST_T_COUNT * 8 == 168 && ST_T_FLAGS * 8 == 176 && ST_T_PROBE * 8 == 184 &&
                       ST_T_MARKER * 8 == 192,
               "state_cross_asm.h table offsets");

/* The round: fxrstor, the marker, fxsave; load everything; yield; store everything. */
__asm__(".text\n"
        ".globl state_cross_round\n"
        "state_cross_round:\n"
        "push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15; push %rdi\n"
        "fxrstor64 624(%rdi)\n"
        "call *600(%rdi)\n"
        "mov (%rsp), %rdi\n"
        "fxsave64 1136(%rdi)\n"
        "mov 136(%rdi), %eax; mov %eax, %ds\n"
        "mov 144(%rdi), %eax; mov %eax, %es\n"
        "mov 152(%rdi), %eax; mov %eax, %fs\n"
        "mov 160(%rdi), %eax; mov %eax, %gs\n"
        "pushq 128(%rdi)\n"
        "mov 8(%rdi), %rcx; mov 16(%rdi), %rdx; mov 24(%rdi), %rbx\n"
        "mov 40(%rdi), %rbp; mov 48(%rdi), %rsi\n"
        "mov 64(%rdi), %r8; mov 72(%rdi), %r9; mov 80(%rdi), %r10; mov 88(%rdi), %r11\n"
        "mov 96(%rdi), %r12; mov 104(%rdi), %r13; mov 112(%rdi), %r14; mov 120(%rdi), %r15\n"
        "mov $5, %eax\n"
        "mov 56(%rdi), %rdi\n"
        "popfq\n"
        "syscall\n"
        "pushfq\n"
        "push %rax\n"
        "mov 16(%rsp), %rax\n"
        "mov %rcx, 200(%rax); mov %rdx, 208(%rax); mov %rbx, 216(%rax)\n"
        "mov %rbp, 232(%rax); mov %rsi, 240(%rax); mov %rdi, 248(%rax)\n"
        "mov %r8, 256(%rax); mov %r9, 264(%rax); mov %r10, 272(%rax); mov %r11, 280(%rax)\n"
        "mov %r12, 288(%rax); mov %r13, 296(%rax); mov %r14, 304(%rax); mov %r15, 312(%rax)\n"
        "popq 192(%rax)\n"
        "popq 320(%rax)\n"
        "mov %ds, 328(%rax); mov %es, 336(%rax); mov %fs, 344(%rax); mov %gs, 352(%rax)\n"
        "mov 592(%rax), %rcx\n"
        "mov %fs:(%rcx), %rdx; mov %rdx, 360(%rax)\n"
        "mov %gs:(%rcx), %rdx; mov %rdx, 368(%rax)\n"
        "fxsave64 1648(%rax)\n"
        "fxrstor64 2160(%rax)\n"
        "pushq $0x202; popfq\n"
        "xor %ecx, %ecx; mov %ecx, %ds; mov %ecx, %es; mov %ecx, %fs; mov %ecx, %gs\n"
        "pop %rdi; pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
        "ret\n");

/*
 * The spin loop. The table is copied to the stack, where rsp can address it; every
 * register is compared with its slot, then rflags (the held bits), the selectors and the
 * fs:/gs: probes with rax spilled, so those slots are 8 further while it is pushed.
 * A difference leaves the loop with the count not yet 0.
 */
__asm__(".text\n"
        ".globl state_cross_spin\n"
        "state_cross_spin:\n"
        "push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15; push %rdi\n"
        "sub $208, %rsp\n"
        "mov $26, %ecx\n"
        "1: mov 376(%rdi,%rcx,8), %rax\n"
        "mov %rax, -8(%rsp,%rcx,8)\n"
        "dec %ecx\n"
        "jnz 1b\n"
        "mov 136(%rsp), %eax; mov %eax, %ds\n"
        "mov 144(%rsp), %eax; mov %eax, %es\n"
        "mov 152(%rsp), %eax; mov %eax, %fs\n"
        "mov 160(%rsp), %eax; mov %eax, %gs\n"
        "pushq 176(%rsp)\n"
        "popfq\n"
        "mov 0(%rsp), %rax; mov 8(%rsp), %rcx; mov 16(%rsp), %rdx; mov 24(%rsp), %rbx\n"
        "mov 40(%rsp), %rbp; mov 48(%rsp), %rsi; mov 56(%rsp), %rdi\n"
        "mov 64(%rsp), %r8; mov 72(%rsp), %r9; mov 80(%rsp), %r10; mov 88(%rsp), %r11\n"
        "mov 96(%rsp), %r12; mov 104(%rsp), %r13; mov 112(%rsp), %r14; mov 120(%rsp), %r15\n"
        "2: cmp 0(%rsp), %rax; jne 8f\n"
        "cmp 8(%rsp), %rcx; jne 8f\n"
        "cmp 16(%rsp), %rdx; jne 8f\n"
        "cmp 24(%rsp), %rbx; jne 8f\n"
        "cmp 40(%rsp), %rbp; jne 8f\n"
        "cmp 48(%rsp), %rsi; jne 8f\n"
        "cmp 56(%rsp), %rdi; jne 8f\n"
        "cmp 64(%rsp), %r8; jne 8f\n"
        "cmp 72(%rsp), %r9; jne 8f\n"
        "cmp 80(%rsp), %r10; jne 8f\n"
        "cmp 88(%rsp), %r11; jne 8f\n"
        "cmp 96(%rsp), %r12; jne 8f\n"
        "cmp 104(%rsp), %r13; jne 8f\n"
        "cmp 112(%rsp), %r14; jne 8f\n"
        "cmp 120(%rsp), %r15; jne 8f\n"
        "push %rax\n"
        "pushfq; pop %rax; and $0x244400, %eax; cmp 136(%rsp), %rax; jne 7f\n"
        "mov %ds, %eax; cmp 144(%rsp), %rax; jne 7f\n"
        "mov %es, %eax; cmp 152(%rsp), %rax; jne 7f\n"
        "mov %fs, %eax; cmp 160(%rsp), %rax; jne 7f\n"
        "mov %gs, %eax; cmp 168(%rsp), %rax; jne 7f\n"
        "mov 192(%rsp), %rax; mov %fs:(%rax), %rax; cmp 200(%rsp), %rax; jne 7f\n"
        "mov 192(%rsp), %rax; mov %gs:(%rax), %rax; cmp 200(%rsp), %rax; jne 7f\n"
        "pop %rax\n"
        "decq 168(%rsp)\n"
        "jnz 2b\n"
        "jmp 8f\n"
        "7: pop %rax\n"
        "8: push %rax\n"
        "mov 216(%rsp), %rax\n"
        "mov %rcx, 200(%rax); mov %rdx, 208(%rax); mov %rbx, 216(%rax)\n"
        "mov %rbp, 232(%rax); mov %rsi, 240(%rax); mov %rdi, 248(%rax)\n"
        "mov %r8, 256(%rax); mov %r9, 264(%rax); mov %r10, 272(%rax); mov %r11, 280(%rax)\n"
        "mov %r12, 288(%rax); mov %r13, 296(%rax); mov %r14, 304(%rax); mov %r15, 312(%rax)\n"
        "popq 192(%rax)\n"
        "pushfq; popq 320(%rax)\n"
        "mov %ds, 328(%rax); mov %es, 336(%rax); mov %fs, 344(%rax); mov %gs, 352(%rax)\n"
        "mov 168(%rsp), %rcx; mov %rcx, 552(%rax)\n"
        "pushq $0x202; popfq\n"
        "xor %ecx, %ecx; mov %ecx, %ds; mov %ecx, %es; mov %ecx, %fs; mov %ecx, %gs\n"
        "add $208, %rsp\n"
        "pop %rdi; pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
        "ret\n");

/* The markers: one x87 instruction each, at its own address, with its own operand. */
__asm__(".data\n"
        ".balign 16\n"
        ".globl state_cross_data0\n"
        "state_cross_data0: .quad 0x3ff4000000000000\n" /* 1.25 */
        ".globl state_cross_data1\n"
        "state_cross_data1: .long 12345, 0\n"
        ".text\n"
        ".globl state_cross_mark0\n"
        "state_cross_mark0: fldl state_cross_data0(%rip)\n"
        "ret\n"
        ".globl state_cross_mark1\n"
        "state_cross_mark1: fildl state_cross_data1(%rip)\n"
        "ret\n");

#endif
