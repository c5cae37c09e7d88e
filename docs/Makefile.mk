# documentation
EXTRA_DIST += docs/HACKING.md docs/guests.md docs/arm-on-xen.md docs/p2m.md docs/xtf.md docs/scale.md docs/performance.md \
	docs/specs/sim-protocol.md docs/specs/region-tree.md docs/specs/xenstore.md docs/specs/stream.md docs/specs/devices.md \
	docs/specs/lifecycle.md docs/specs/dump-core.md docs/xl-cfg-keys.md \
	docs/examples/sizes.c docs/examples/p2m-tour.c docs/examples/virt.cfg docs/examples/pc.cfg

# the example configurations and library programs, installed for the demo and users
examplesdir = $(pkgdatadir)/examples
dist_examples_DATA = docs/examples/pc.cfg docs/examples/virt.cfg docs/examples/sizes.c docs/examples/p2m-tour.c

# manual pages: docs/man/*.in with the programs' own tables put in (the
# options --help prints, pxl's commands, the xl.cfg keys, the library's
# documented functions), so that they say what the programs do
if !CROSS_COMPILING
nodist_man_MANS = man/pxl.1 man/pxl.cfg.5 man/physmap-sim.8 man/physmap-dm.8 man/physmap-xenstored.8 \
	man/libphysmap.3
endif
EXTRA_DIST += docs/man/man-fill.sh docs/man/man-api.awk docs/man/pxl.1.in docs/man/pxl.cfg.5.in \
	docs/man/physmap-sim.8.in docs/man/physmap-dm.8.in docs/man/physmap-xenstored.8.in docs/man/libphysmap.3.in
CLEANFILES += $(nodist_man_MANS) man/*.part
PM_MAN_FILL = $(SHELL) $(srcdir)/docs/man/man-fill.sh
PM_MAN_PXL = PXL_PLUGIN_PATH=$(abs_builddir)/xl-plugins/.libs ./pxl$(EXEEXT)

man/pxl.1: $(srcdir)/docs/man/pxl.1.in $(srcdir)/docs/man/man-fill.sh pxl$(EXEEXT) $(plugin_LTLIBRARIES)
	@$(MKDIR_P) man
	$(AM_V_GEN)$(PM_MAN_PXL) man commands >man/pxl.commands.part && \
	$(PM_MAN_PXL) man options >man/pxl.options.part && \
	$(PM_MAN_FILL) $(srcdir)/docs/man/pxl.1.in $(VERSION) @COMMANDS@ man/pxl.commands.part \
		@OPTIONS@ man/pxl.options.part >$@.tmp && mv $@.tmp $@
man/pxl.cfg.5: $(srcdir)/docs/man/pxl.cfg.5.in $(srcdir)/docs/man/man-fill.sh pxl$(EXEEXT) $(plugin_LTLIBRARIES)
	@$(MKDIR_P) man
	$(AM_V_GEN)$(PM_MAN_PXL) man keys >man/pxl.keys.part && \
	$(PM_MAN_FILL) $(srcdir)/docs/man/pxl.cfg.5.in $(VERSION) @KEYS@ man/pxl.keys.part >$@.tmp && mv $@.tmp $@
man/physmap-sim.8 man/physmap-dm.8 man/physmap-xenstored.8: man/%.8: $(srcdir)/docs/man/%.8.in \
		$(srcdir)/docs/man/man-fill.sh %$(EXEEXT)
	@$(MKDIR_P) man
	$(AM_V_GEN)PM_HELP_FORMAT=man ./$*$(EXEEXT) --help >man/$*.options.part && \
	$(PM_MAN_FILL) $(srcdir)/docs/man/$*.8.in $(VERSION) @OPTIONS@ man/$*.options.part >$@.tmp && mv $@.tmp $@
man/libphysmap.3: $(srcdir)/docs/man/libphysmap.3.in $(srcdir)/docs/man/man-fill.sh $(srcdir)/docs/man/man-api.awk \
		$(physmapinclude_HEADERS)
	@$(MKDIR_P) man
	$(AM_V_GEN)(cd $(srcdir) && $(AWK) -f docs/man/man-api.awk $(physmapinclude_HEADERS)) >man/libphysmap.functions.part && \
	$(PM_MAN_FILL) $(srcdir)/docs/man/libphysmap.3.in $(VERSION) @FUNCTIONS@ man/libphysmap.functions.part \
		>$@.tmp && mv $@.tmp $@
