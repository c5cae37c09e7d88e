# tools/: the programs' shared option tables, and the simulator's parts
# (the store so far) with the daemons built on them.

noinst_LTLIBRARIES += libpmtools.la
libpmtools_la_SOURCES = tools/common/opts.h tools/common/opts.c \
	tools/common/unixsock.h tools/common/unixsock.c tools/common/failalloc.h tools/common/failalloc.c \
	tools/common/monotime.h
# failalloc.c shares libphysmap's failure injection (failpoint-internal.h)
libpmtools_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/libphysmap

# the xenstore-compatible store physmap-sim embeds
noinst_LTLIBRARIES += libpmxs.la
libpmxs_la_SOURCES = \
	tools/sim/xs.h \
	tools/sim/xs-internal.h \
	tools/sim/xs-db.c \
	tools/sim/xs-watch.c \
	tools/sim/xs-proto.c \
	tools/sim/xs-conn.c \
	tools/sim/xs-wire.c \
	tools/sim/xs-domain.c \
	tools/sim/xs-server.c
libpmxs_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools/common
libpmxs_la_LIBADD = libpmtools.la -lpthread

bin_PROGRAMS += physmap-xenstored
physmap_xenstored_SOURCES = tools/sim/physmap-xenstored.c
physmap_xenstored_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools/common -I$(top_srcdir)/tools/sim
physmap_xenstored_LDADD = libpmxs.la libpmtools.la

# the simulated hypervisor (docs/specs/sim-protocol.md)
bin_PROGRAMS += physmap-sim
physmap_sim_SOURCES = tools/sim/physmap-sim.c tools/sim/say.c tools/sim/sim.h tools/sim/sim.c tools/sim/domain.c \
	tools/sim/pool.h tools/sim/pool.c \
	tools/sim/vcpu.h tools/sim/vcpu.c tools/sim/vcpu-exit.c tools/sim/vcpu-arm64.c tools/sim/vcpu-x86.c tools/sim/engines.c \
	tools/sim/hypercall.c \
	tools/sim/ioreq.h tools/sim/ioreq.c tools/sim/dirty.c tools/sim/evtchn.c tools/sim/gnttab.c tools/sim/time.c \
	tools/sim/kvm.h
# x86 guests on KVM where the host is x86; elsewhere Unicorn runs them (kvm-none.c says so)
if HOST_X86
physmap_sim_SOURCES += tools/sim/kvm.c tools/sim/kvm-emulate.c
else
physmap_sim_SOURCES += tools/sim/kvm-none.c
endif
# the wire protocol's header is the library's (libphysmap/sim-proto.h)
physmap_sim_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools/common -I$(top_srcdir)/tools/sim -I$(top_srcdir)/libphysmap
physmap_sim_CFLAGS = $(AM_CFLAGS) $(UNICORN_CFLAGS)
physmap_sim_LDADD = libpmxs.la libpmtools.la libphysmap.la $(UNICORN_LIBS) -lpthread
