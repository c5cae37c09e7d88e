/*
 * tests/guests/x86/head64.S - the PVH entry of the 64-bit build
 * (guest64.elf): entered as head.S is (32-bit protected mode, paging off,
 * ebx = struct hvm_start_info), it maps the low 4 GiB 1:1 with 2 MiB
 * pages, enters long mode and calls guest_start(start_info) in 64-bit
 * code. A secondary vCPU (VCPUOP_up, a 32-bit context: eax = its index,
 * esp = its stack) takes the same way into long mode.
 */
#define CR0_PG 0x80000000
#define CR4_PAE 0x20
#define MSR_EFER 0xc0000080
#define EFER_LME 0x100

	.code32
	.section .head, "ax"
	.globl _head
_head:
	cld
	movl	%ebx, %esi
	movl	$__bss_start, %edi
	movl	$_end, %ecx
	subl	%edi, %ecx
	xorl	%eax, %eax
	rep stosb
	/* pml4[0] -> pdpt; pdpt[i] -> pd + i pages; pd: 2048 entries of 2 MiB */
	movl	$pdpt + 3, pml4
	xorl	%ecx, %ecx
1:	movl	%ecx, %eax
	shll	$12, %eax
	addl	$pd + 3, %eax
	movl	%eax, pdpt(,%ecx,8)
	incl	%ecx
	cmpl	$4, %ecx
	jne	1b
	xorl	%ecx, %ecx
2:	movl	%ecx, %eax
	shll	$21, %eax
	orl	$0x83, %eax           /* present, writable, 2 MiB */
	movl	%eax, pd(,%ecx,8)
	movl	%ecx, %eax
	shrl	$11, %eax             /* the top bits of (ecx << 21) */
	movl	%eax, pd + 4(,%ecx,8)
	incl	%ecx
	cmpl	$2048, %ecx
	jne	2b
	movl	$stack_top, %esp
	movl	$boot_64, %ebx
	jmp	long_mode

/* eax = its index, esp = its stack (VCPUOP_initialise's 32-bit context) */
	.globl	secondary_entry
secondary_entry:
	movl	%eax, %esi
	movl	$secondary_64, %ebx
	/* fall through */

/* paging on, long mode on, then to the 64-bit code at ebx (esi kept) */
long_mode:
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$pml4, %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$CR0_PG, %eax
	movl	%eax, %cr0
	lgdt	gdt_ptr
	pushl	$0x08
	pushl	%ebx
	lret

	.code64
boot_64:
	movl	$0x10, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%esi, %edi
	call	guest_start
3:	hlt
	jmp	3b

/* VCPUOP_initialise's 64-bit context: long mode and paging on, rdi = its
 * index, rsp = its stack; GDTR is the guest's to load (Xen leaves it undefined) */
	.globl	secondary_entry64
secondary_entry64:
	lgdt	gdt_ptr64(%rip)
	pushq	$0x08
	leaq	1f(%rip), %rax
	pushq	%rax
	lretq
1:	movq	%rdi, %rsi
	/* fall through */

secondary_64:
	movl	$0x10, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%esi, %edi
	andq	$-16, %rsp
	call	secondary_main
4:	jmp	4b

	.section .rodata
	.balign	8
gdt:
	.quad	0
	.quad	0x00af9b000000ffff     /* 0x08: 64-bit code */
	.quad	0x00cf93000000ffff     /* 0x10: data */
gdt_ptr:
	.word	gdt_ptr - gdt - 1
	.long	gdt
gdt_ptr64:
	.word	gdt_ptr - gdt - 1
	.quad	gdt

	.bss
	.balign	4096
pml4:
	.space	4096
pdpt:
	.space	4096
pd:
	.space	4096 * 4
#include "tail.S"
