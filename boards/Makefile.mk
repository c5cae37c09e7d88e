# boards: guest machine layouts, compiled into libphysmap

libphysmap_core_la_SOURCES += \
	boards/acpi.c \
	boards/board.c \
	boards/registry.c \
	boards/board-internal.h boards/fdtw.h boards/fdtw.c \
	boards/arm-virt.c \
	boards/xen-arm.c \
	boards/pc.c
libphysmap_core_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/libphysmap
