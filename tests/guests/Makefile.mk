# The freestanding test guests (docs/guests.md): no libc, Xen guest ABIs
# only. Built with a cross compiler, so by hand-written rules rather than
# as automake programs.

PM_GUEST_COMMON_C = tests/guests/common/lib.c tests/guests/common/main.c tests/guests/common/xs.c \
	tests/guests/common/balloon.c tests/guests/common/control.c tests/guests/common/selftest.c \
	tests/guests/common/xentime.c tests/guests/common/gnttab.c tests/guests/common/blkfront.c \
	tests/guests/common/netfront.c tests/guests/common/gntmap.c
PM_GUEST_COMMON = tests/guests/common/guest.h $(PM_GUEST_COMMON_C)
PM_GUEST_ARM64_SRC = tests/guests/arm64/head.S tests/guests/arm64/arch.c \
	tests/guests/arm64/guest.lds
PM_GUEST_X86_SRC = tests/guests/x86/head.S tests/guests/x86/head64.S tests/guests/x86/tail.S tests/guests/x86/arch.c \
	tests/guests/x86/guest.lds
EXTRA_DIST += $(PM_GUEST_COMMON) $(PM_GUEST_ARM64_SRC) $(PM_GUEST_X86_SRC)

PM_GUEST_CFLAGS = -ffreestanding -fno-builtin -nostdlib -nostartfiles \
	-fno-pic -fno-pie -fno-stack-protector -O2 -Wall -Wextra \
	-I$(top_srcdir)/tests/guests/common

# installed as example guests (docs/guests.md): the demo runs from an installed tree
guestsarm64dir = $(pkglibdir)/guests/arm64
guestsx86dir = $(pkglibdir)/guests/x86

if GUEST_ARM64
noinst_DATA += tests/guests/arm64/guest.img
guestsarm64_DATA = tests/guests/arm64/guest.img
CLEANFILES += tests/guests/arm64/guest.elf tests/guests/arm64/guest.img

tests/guests/arm64/guest.elf: $(PM_GUEST_COMMON) $(PM_GUEST_ARM64_SRC)
	@$(MKDIR_P) tests/guests/arm64
	$(AM_V_CC)$(AARCH64_CC) $(PM_GUEST_CFLAGS) -mgeneral-regs-only -mstrict-align -mno-outline-atomics \
		-static -Wl,-T,$(top_srcdir)/tests/guests/arm64/guest.lds -Wl,--build-id=none \
		-Wl,--no-warn-rwx-segments -o $@ \
		$(top_srcdir)/tests/guests/arm64/head.S $(top_srcdir)/tests/guests/arm64/arch.c \
		$(addprefix $(top_srcdir)/,$(PM_GUEST_COMMON_C))

tests/guests/arm64/guest.img: tests/guests/arm64/guest.elf
	$(AM_V_GEN)$(AARCH64_OBJCOPY) -O binary $< $@
endif

if GUEST_X86
noinst_DATA += tests/guests/x86/guest.img
guestsx86_DATA = tests/guests/x86/guest.elf tests/guests/x86/guest64.elf
CLEANFILES += tests/guests/x86/guest.elf tests/guests/x86/guest.img

tests/guests/x86/guest.elf: $(PM_GUEST_COMMON) $(PM_GUEST_X86_SRC)
	@$(MKDIR_P) tests/guests/x86
	$(AM_V_CC)$(CC) $(PM_GUEST_CFLAGS) -m32 -march=i686 -mgeneral-regs-only -mno-sse -mno-mmx \
		-static -Wl,-m,elf_i386 -Wl,-T,$(top_srcdir)/tests/guests/x86/guest.lds -Wl,--build-id=none \
		-Wl,--no-warn-rwx-segments -o $@ \
		$(top_srcdir)/tests/guests/x86/head.S $(top_srcdir)/tests/guests/x86/arch.c \
		$(addprefix $(top_srcdir)/,$(PM_GUEST_COMMON_C))

tests/guests/x86/guest.img: tests/guests/x86/guest.elf
	$(AM_V_GEN)$(OBJCOPY) -O binary $< $@

# the same guest in 64-bit code (head64.S enters long mode): KVM only
noinst_DATA += tests/guests/x86/guest64.img
CLEANFILES += tests/guests/x86/guest64.elf tests/guests/x86/guest64.img

tests/guests/x86/guest64.elf: $(PM_GUEST_COMMON) $(PM_GUEST_X86_SRC)
	@$(MKDIR_P) tests/guests/x86
	$(AM_V_CC)$(CC) $(PM_GUEST_CFLAGS) -m64 -mno-red-zone -mgeneral-regs-only -mno-sse -mno-mmx \
		-static -Wl,-m,elf_x86_64 -Wl,-T,$(top_srcdir)/tests/guests/x86/guest.lds -Wl,--build-id=none \
		-Wl,--no-warn-rwx-segments -o $@ \
		$(top_srcdir)/tests/guests/x86/head64.S $(top_srcdir)/tests/guests/x86/arch.c \
		$(addprefix $(top_srcdir)/,$(PM_GUEST_COMMON_C))

tests/guests/x86/guest64.img: tests/guests/x86/guest64.elf
	$(AM_V_GEN)$(OBJCOPY) -O binary $< $@
endif
