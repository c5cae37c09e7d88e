# libphysmap: the toolstack library
#
# Everything is compiled once into a convenience library, libphysmap-core.la.
# libphysmap.so is that plus the version script (only pm_* symbols listed in
# libphysmap.sym are exported); unit tests link the convenience library so
# they can reach internal (pm__) functions too.

noinst_LTLIBRARIES += libphysmap-core.la
libphysmap_core_la_SOURCES = \
	libphysmap/alloc.c \
	libphysmap/alloc-internal.h \
	libphysmap/failpoint-internal.h \
	libphysmap/sim-proto.h \
	libphysmap/building.c \
	libphysmap/reap.c \
	libphysmap/kept-config.c \
	libphysmap/config.c \
	libphysmap/config-devices.c \
	libphysmap/config-keys.c \
	libphysmap/control.c \
	libphysmap/dumpcore.c \
	libphysmap/config-internal.h \
	libphysmap/domain.c \
	libphysmap/domain-internal.h \
	libphysmap/device.c \
	libphysmap/device-internal.h \
	libphysmap/save.c \
	libphysmap/restore.c \
	libphysmap/save-common.c \
	libphysmap/save-internal.h \
	libphysmap/kernel.c \
	libphysmap/libxl-config.c \
	libphysmap/e820.c \
	libphysmap/file.c \
	libphysmap/file-internal.h \
	libphysmap/hv/hv.c \
	libphysmap/hv/hv-internal.h \
	libphysmap/hv/hv-sim.c \
	libphysmap/hv/hv-sim.h \
	libphysmap/hv/hv-sim-wire.c \
	libphysmap/hv/hv-open.c \
	libphysmap/hv/hv-sim-ioreq.c \
	libphysmap/hv/hv-xen.c \
	libphysmap/hv/hv-xen.h \
	libphysmap/hv/hv-xen-ioreq.c \
	libphysmap/hv/hv-xen-hotplug.c \
	libphysmap/p2m.c \
	libphysmap/p2m-internal.h \
	libphysmap/pagepool.c \
	libphysmap/pagepool.h \
	libphysmap/json-internal.h \
	libphysmap/size.c \
	libphysmap/stream.c \
	libphysmap/text.c \
	libphysmap/uuid.c \
	libphysmap/text-internal.h \
	libphysmap/version.c
libphysmap_core_la_CFLAGS = $(AM_CFLAGS) $(PM_TLS_CFLAGS) $(LZMA_CFLAGS) $(ZLIB_CFLAGS) $(URCU_CFLAGS) $(YAJL_CFLAGS) $(XLUTIL_CFLAGS) $(XENLIGHT_CFLAGS) $(XENSTORE_CFLAGS) $(XENCTRL_CFLAGS) $(XENGUEST_CFLAGS) $(XENCALL_CFLAGS) $(XENHYPFS_CFLAGS) $(XENFOREIGNMEMORY_CFLAGS) $(XENDEVICEMODEL_CFLAGS) $(XENEVTCHN_CFLAGS) $(XENGNTTAB_CFLAGS) -DPM_BINDIR='"$(bindir)"'
libphysmap_core_la_LIBADD = $(LZMA_LIBS) $(ZLIB_LIBS) $(URCU_LIBS) $(YAJL_LIBS) $(XLUTIL_LIBS) $(XENLIGHT_LIBS) $(XENSTORE_LIBS) $(XENCTRL_LIBS) $(XENGUEST_LIBS) $(XENCALL_LIBS) $(XENHYPFS_LIBS) $(XENFOREIGNMEMORY_LIBS) $(XENDEVICEMODEL_LIBS) $(XENEVTCHN_LIBS) $(XENGNTTAB_LIBS) $(FDT_LIBS)

lib_LTLIBRARIES += libphysmap.la
libphysmap_la_SOURCES =
libphysmap_la_LIBADD = libphysmap-core.la
libphysmap_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0 -no-undefined \
	-Wl,--version-script=$(srcdir)/libphysmap/libphysmap.sym
EXTRA_libphysmap_la_DEPENDENCIES = libphysmap/libphysmap.sym
EXTRA_DIST += libphysmap/libphysmap.sym libphysmap/physmap.pc.in

physmapincludedir = $(includedir)/physmap
physmapinclude_HEADERS = \
	libphysmap/include/physmap/physmap.h \
	libphysmap/include/physmap/config.h \
	libphysmap/include/physmap/device.h \
	libphysmap/include/physmap/domain.h \
	libphysmap/include/physmap/hv.h \
	libphysmap/include/physmap/p2m.h \
	libphysmap/include/physmap/e820.h \
	libphysmap/include/physmap/size.h \
	libphysmap/include/physmap/stream.h \
	libphysmap/include/physmap/save.h \
	libphysmap/include/physmap/board.h

pkgconfig_DATA += libphysmap/physmap.pc
