# devmodel: physmap-dm's core (memory API, flattening, dispatch), a
# convenience library that physmap-dm, the tests and the CLI link.

noinst_LTLIBRARIES += libpmdm.la
libpmdm_la_SOURCES = \
	devmodel/memory.h \
	devmodel/memory-internal.h \
	devmodel/memory.c \
	devmodel/flatview.c \
	devmodel/dispatch.c \
	devmodel/mtree.c \
	devmodel/listener.c \
	devmodel/dirty.c \
	devmodel/events.c \
	devmodel/access.c \
	devmodel/device-ops.c \
	devmodel/exec.c \
	devmodel/json.c
libpmdm_la_CFLAGS = $(AM_CFLAGS) $(URCU_CFLAGS) $(YAJL_CFLAGS)
libpmdm_la_LIBADD = $(URCU_LIBS) $(YAJL_LIBS) -lpthread

# physmap-dm: the device-model process
bin_PROGRAMS += physmap-dm
physmap_dm_SOURCES = \
	devmodel/physmap-dm.c \
	devmodel/dm.h \
	devmodel/dm.c \
	devmodel/vmstate.c \
	devmodel/transport/qtest.h \
	devmodel/transport/qtest.c \
	devmodel/transport/ioreq.h \
	devmodel/transport/ioreq.c \
	devmodel/hw/logger.c \
	devmodel/hw/registry.c \
	devmodel/hw/pl011.c \
	devmodel/hw/serial16550.c \
	devmodel/hw/subpage-test.c \
	devmodel/hw/events-test.c \
	devmodel/hw/exec-flash.c \
	devmodel/xen/xenbus.h \
	devmodel/xen/xenbus.c \
	devmodel/xen/blkback.c \
	devmodel/xen/netback.c
physmap_dm_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools/common
physmap_dm_CFLAGS = $(AM_CFLAGS) $(URCU_CFLAGS) $(XENSTORE_CFLAGS)
physmap_dm_LDADD = libpmdm.la libpmtools.la libphysmap.la $(XENSTORE_LIBS)
