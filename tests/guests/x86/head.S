/*
 * tests/guests/x86/head.S - the PVH entry (Xen's docs/misc/pvh.pandoc):
 * 32-bit protected mode, paging off, flat segments, ebx = the physical
 * address of struct hvm_start_info, no stack. Linked where the pc board
 * loads a PVH image (1 MiB): sets a stack, clears .bss, calls
 * guest_start(start_info).
 */
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
	movl	$stack_top, %esp
	pushl	%esi
	call	guest_start
2:	hlt
	jmp	2b

/* a secondary vCPU, from VCPUOP_up: eax = its index, esp = its stack */
	.globl	secondary_entry
secondary_entry:
	pushl	%eax
	call	secondary_main
3:	jmp	3b

	.bss
#include "tail.S"
