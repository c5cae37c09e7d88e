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
	devmodel/exec.c
libpmdm_la_CFLAGS = $(AM_CFLAGS) $(URCU_CFLAGS)
libpmdm_la_LIBADD = $(URCU_LIBS)
