# pxl, the command line, and its subcommands: loadable modules in
# $(plugindir), one subcommand (or a small family) per file in xl-plugins/.

bin_PROGRAMS += pxl
pxl_SOURCES = tools/pxl/pxl.c tools/pxl/pxl-plugin.h
pxl_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools/common \
	-DPXL_PLUGINDIR='"$(plugindir)"'
pxl_LDADD = libpmtools.la -ldl

# what several plugins do alike, linked into each
noinst_LTLIBRARIES += libpxlutil.la
libpxlutil_la_SOURCES = tools/pxl/pxl-util.h tools/pxl/pxl-util.c tools/pxl/pxl-console.c \
	tools/pxl/pxl-monitor.c tools/pxl/pxl-json.h tools/pxl/pxl-json.c
libpxlutil_la_CPPFLAGS = $(PXL_PLUGIN_CPPFLAGS) $(YAJL_CFLAGS)
libpxlutil_la_LIBADD = $(YAJL_LIBS)

PXL_PLUGIN_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools/pxl -I$(top_srcdir)/tools/common
PXL_PLUGIN_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared -no-undefined
PXL_PLUGIN_LIBADD = libpxlutil.la libpmtools.la libphysmap.la

plugin_LTLIBRARIES = xl-plugins/create.la xl-plugins/board.la xl-plugins/domains.la xl-plugins/p2m.la xl-plugins/mem.la \
	xl-plugins/console.la xl-plugins/save.la xl-plugins/device.la xl-plugins/shutdown.la \
	xl-plugins/names.la xl-plugins/uptime.la xl-plugins/sysrq.la \
	xl-plugins/config-update.la xl-plugins/vcpu.la xl-plugins/hypervisor.la \
	xl-plugins/top.la xl-plugins/pci.la xl-plugins/dump-core.la
xl_plugins_create_la_SOURCES = xl-plugins/create.c
xl_plugins_create_la_CPPFLAGS = $(PXL_PLUGIN_CPPFLAGS)
xl_plugins_create_la_LDFLAGS = $(PXL_PLUGIN_LDFLAGS)
xl_plugins_create_la_LIBADD = $(PXL_PLUGIN_LIBADD)
xl_plugins_board_la_SOURCES = xl-plugins/board.c
xl_plugins_board_la_CPPFLAGS = $(PXL_PLUGIN_CPPFLAGS)
xl_plugins_board_la_LDFLAGS = $(PXL_PLUGIN_LDFLAGS)
xl_plugins_board_la_LIBADD = $(PXL_PLUGIN_LIBADD)
xl_plugins_domains_la_SOURCES = xl-plugins/domains.c
xl_plugins_domains_la_CPPFLAGS = $(PXL_PLUGIN_CPPFLAGS)
xl_plugins_domains_la_LDFLAGS = $(PXL_PLUGIN_LDFLAGS)
xl_plugins_domains_la_LIBADD = $(PXL_PLUGIN_LIBADD)
xl_plugins_p2m_la_SOURCES = xl-plugins/p2m.c
xl_plugins_p2m_la_CPPFLAGS = $(PXL_PLUGIN_CPPFLAGS)
xl_plugins_p2m_la_LDFLAGS = $(PXL_PLUGIN_LDFLAGS)
xl_plugins_p2m_la_LIBADD = $(PXL_PLUGIN_LIBADD) -lm
xl_plugins_mem_la_SOURCES = xl-plugins/mem.c
xl_plugins_mem_la_CPPFLAGS = $(PXL_PLUGIN_CPPFLAGS)
xl_plugins_mem_la_CFLAGS = $(AM_CFLAGS) $(XENSTORE_CFLAGS)
xl_plugins_mem_la_LDFLAGS = $(PXL_PLUGIN_LDFLAGS)
xl_plugins_mem_la_LIBADD = $(PXL_PLUGIN_LIBADD) $(XENSTORE_LIBS)
xl_plugins_console_la_SOURCES = xl-plugins/console.c
xl_plugins_console_la_CPPFLAGS = $(PXL_PLUGIN_CPPFLAGS)
xl_plugins_console_la_LDFLAGS = $(PXL_PLUGIN_LDFLAGS)
xl_plugins_console_la_LIBADD = $(PXL_PLUGIN_LIBADD)
xl_plugins_save_la_SOURCES = xl-plugins/save.c
xl_plugins_save_la_CPPFLAGS = $(PXL_PLUGIN_CPPFLAGS)
xl_plugins_save_la_LDFLAGS = $(PXL_PLUGIN_LDFLAGS)
xl_plugins_save_la_LIBADD = $(PXL_PLUGIN_LIBADD)
xl_plugins_device_la_SOURCES = xl-plugins/device.c
xl_plugins_device_la_CPPFLAGS = $(PXL_PLUGIN_CPPFLAGS)
xl_plugins_device_la_LDFLAGS = $(PXL_PLUGIN_LDFLAGS)
xl_plugins_device_la_LIBADD = $(PXL_PLUGIN_LIBADD)
xl_plugins_shutdown_la_SOURCES = xl-plugins/shutdown.c
xl_plugins_shutdown_la_CPPFLAGS = $(PXL_PLUGIN_CPPFLAGS)
xl_plugins_shutdown_la_LDFLAGS = $(PXL_PLUGIN_LDFLAGS)
xl_plugins_shutdown_la_LIBADD = $(PXL_PLUGIN_LIBADD)
xl_plugins_names_la_SOURCES = xl-plugins/names.c
xl_plugins_names_la_CPPFLAGS = $(PXL_PLUGIN_CPPFLAGS)
xl_plugins_names_la_LDFLAGS = $(PXL_PLUGIN_LDFLAGS)
xl_plugins_names_la_LIBADD = $(PXL_PLUGIN_LIBADD)
xl_plugins_uptime_la_SOURCES = xl-plugins/uptime.c
xl_plugins_uptime_la_CPPFLAGS = $(PXL_PLUGIN_CPPFLAGS)
xl_plugins_uptime_la_CFLAGS = $(AM_CFLAGS) $(XENSTORE_CFLAGS)
xl_plugins_uptime_la_LDFLAGS = $(PXL_PLUGIN_LDFLAGS)
xl_plugins_uptime_la_LIBADD = $(PXL_PLUGIN_LIBADD) $(XENSTORE_LIBS)
xl_plugins_dump_core_la_SOURCES = xl-plugins/dump-core.c
xl_plugins_dump_core_la_CPPFLAGS = $(PXL_PLUGIN_CPPFLAGS)
xl_plugins_dump_core_la_LDFLAGS = $(PXL_PLUGIN_LDFLAGS)
xl_plugins_dump_core_la_LIBADD = $(PXL_PLUGIN_LIBADD)
xl_plugins_sysrq_la_SOURCES = xl-plugins/sysrq.c
xl_plugins_sysrq_la_CPPFLAGS = $(PXL_PLUGIN_CPPFLAGS)
xl_plugins_sysrq_la_LDFLAGS = $(PXL_PLUGIN_LDFLAGS)
xl_plugins_sysrq_la_LIBADD = $(PXL_PLUGIN_LIBADD)
xl_plugins_config_update_la_SOURCES = xl-plugins/config-update.c
xl_plugins_config_update_la_CPPFLAGS = $(PXL_PLUGIN_CPPFLAGS)
xl_plugins_config_update_la_LDFLAGS = $(PXL_PLUGIN_LDFLAGS)
xl_plugins_config_update_la_LIBADD = $(PXL_PLUGIN_LIBADD)
xl_plugins_vcpu_la_SOURCES = xl-plugins/vcpu.c
xl_plugins_vcpu_la_CPPFLAGS = $(PXL_PLUGIN_CPPFLAGS)
xl_plugins_vcpu_la_LDFLAGS = $(PXL_PLUGIN_LDFLAGS)
xl_plugins_vcpu_la_LIBADD = $(PXL_PLUGIN_LIBADD)
xl_plugins_hypervisor_la_SOURCES = xl-plugins/hypervisor.c
xl_plugins_hypervisor_la_CPPFLAGS = $(PXL_PLUGIN_CPPFLAGS)
xl_plugins_hypervisor_la_LDFLAGS = $(PXL_PLUGIN_LDFLAGS)
xl_plugins_hypervisor_la_LIBADD = $(PXL_PLUGIN_LIBADD)
xl_plugins_top_la_SOURCES = xl-plugins/top.c
xl_plugins_top_la_CPPFLAGS = $(PXL_PLUGIN_CPPFLAGS)
xl_plugins_top_la_LDFLAGS = $(PXL_PLUGIN_LDFLAGS)
xl_plugins_top_la_LIBADD = $(PXL_PLUGIN_LIBADD)
xl_plugins_pci_la_SOURCES = xl-plugins/pci.c
xl_plugins_pci_la_CPPFLAGS = $(PXL_PLUGIN_CPPFLAGS)
xl_plugins_pci_la_CFLAGS = $(AM_CFLAGS) $(XENSTORE_CFLAGS)
xl_plugins_pci_la_LDFLAGS = $(PXL_PLUGIN_LDFLAGS)
xl_plugins_pci_la_LIBADD = $(PXL_PLUGIN_LIBADD) $(XENSTORE_LIBS)

# the plugins' index (which plugin has which command: pxl loads that one
# alone), written by the built pxl in the build tree's plugin directory
# and installed beside the plugins; a cross build goes without (pxl then
# loads every plugin)
if !CROSS_COMPILING
plugin_DATA = xl-plugins/.libs/pxl-commands
endif
xl-plugins/.libs/pxl-commands: pxl$(EXEEXT) $(plugin_LTLIBRARIES)
	$(AM_V_GEN)PXL_PLUGIN_PATH= ./pxl$(EXEEXT) plugin-index xl-plugins/.libs >$@.tmp && mv $@.tmp $@
CLEANFILES += xl-plugins/.libs/pxl-commands

# bash completion, generated by the built pxl from its plugins' tables
bashcompletiondir = $(datadir)/bash-completion/completions
if !CROSS_COMPILING
bashcompletion_DATA = completion/pxl
endif
completion/pxl: pxl$(EXEEXT) $(plugin_LTLIBRARIES)
	@$(MKDIR_P) completion
	$(AM_V_GEN)PXL_PLUGIN_PATH=$(abs_builddir)/xl-plugins/.libs ./pxl$(EXEEXT) completion >$@.tmp && mv $@.tmp $@
CLEANFILES += completion/pxl
