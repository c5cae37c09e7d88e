/*
 * libphysmap/config-keys.c - every key of xl.cfg(5) (Xen 4.17), and what
 * physmap does with each on each backend
 *
 * The one table the loader checks keys against, and docs/xl-cfg-keys.md is
 * printed from (tests/integration/config-keys-doc.sh checks the two agree).
 * A key physmap honours says what it does on the simulator and on Xen; a
 * key it cannot honour says why, once, in the warning the loader gives.
 */
#include <stddef.h>
#include <string.h>

#include <stdint.h>

#include "physmap/config.h"
#include "config-internal.h"

/* why keys of a kind are ignored */
#define HVM "an HVM guest's: no backend has an HVM device model (firmware, an emulated PC)"
#define GFX "a graphical console's: physmap has no framebuffer, VGA or remote display"
#define PASS "host device passthrough: neither backend passes host devices to guests"
#define DM "QEMU's: physmap-dm is the device model here"
#define STUBDOM "a stub domain's: physmap runs device models in dom0, never in stub domains"
#define SCHED "CPU placement and scheduling: not applied yet (guests run on every host CPU)"
#define SEC "an XSM/FLASK security label: physmap applies none"
#define PVDEV "a PV device physmap has no backend for yet"
#define SHIM "the PV shim's: physmap runs PV guests without one"
#define BOOT "a bootloader's: physmap boots the kernel= image directly"
#define GNT "a grant table or event channel limit: the hypervisor's defaults apply"

/* the keys physmap honours: what each backend does with them */
static const struct pm_config_key honoured[] = {
	{ "board", NULL, "physmap's own: the machine the guest gets (pc, q35, virt, xenarm; default pc, whose PVH domain on Xen has no emulated devices without the key, as xl's)", NULL },
	{ "gic_version", NULL, "the virt and xenarm boards' GIC: v2 or v3 (another board warns and ignores it)", NULL },
	{ "vuart", NULL, "the xenarm board's: sbsa_uart, Xen's emulated PL011 (another board warns and ignores it)", NULL },
	{ "name", NULL, "the domain's name: 1-49 letters, digits, _ . - (63, less the 14 of NAME--migratedaway); "
	  "not starting with -, not . or .., not all digits", NULL },
	{ "uuid", NULL, "the domain's UUID (made at random when not given); list -v and vm-list show it",
	  "the same, and Xen's domain handle" },
	{ "type", NULL, "pvh: a PVH guest; pv: refused (PV guests need Xen's builder); hvm: refused (no HVM device model)",
	  "pvh: a PVH guest; pv: a PV guest built by libxenguest; hvm: refused (no HVM device model)" },
	{ "memory", NULL, "its RAM (MiB, or an xl size)", NULL },
	{ "maxmem", NULL, "the most it may balloon up to (default: memory)", NULL },
	{ "vcpus", NULL, "its vCPUs (1-128)", NULL },
	{ "maxvcpus", NULL, "the domain's vCPUs (at least vcpus): those past vcpus start offline, listed disabled in the MADT, "
	  "and vcpu-set brings them online (cpu/N/availability, which the test guests follow); the virt board warns and "
	  "has vcpus vCPUs",
	  "the same; a Linux PVH guest cannot bring them online yet: physmap's ACPI tables lack libacpi's processor "
	  "objects and Xen's CPU-hotplug GPE, so Linux knows no APIC ID for them; a PV Linux guest does (no ACPI needed)" },
	{ "kernel", NULL, "the image it boots, a regular file of at most 1 GiB and the guest's memory: an ELF file (PVH entry "
	  "note), a bzImage or an arm64 Image; without it the domain is laid out with its vCPUs down (create -p only)",
	  "the same; a PV guest's, as libxenguest reads it" },
	{ "kernel_format", NULL, "physmap's own: auto (default: ELF, bzImage, arm64 Image) or raw, an image the board "
	  "places as it is (at 1 MiB on pc and q35, 2 MiB into RAM on virt)", NULL },
	{ "ramdisk", NULL, "an initial ramdisk, where the board puts one", NULL },
	{ "cmdline", NULL, "its command line (wins over root and extra)", NULL },
	{ "root", NULL, "root=ROOT on its command line, as xl builds it", NULL },
	{ "extra", NULL, "appended to its command line, as xl builds it", NULL },
	{ "on_poweroff", NULL, "destroy (default), preserve, restart, rename-restart, coredump-*: docs/specs/lifecycle.md",
	  NULL },
	{ "on_reboot", NULL, "restart (default) and the rest, as on_poweroff", NULL },
	{ "on_crash", NULL, "destroy (default) and the rest, as on_poweroff", NULL },
	{ "on_watchdog", NULL, "destroy (default) and the rest, as on_poweroff", NULL },
	{ "on_soft_reset", NULL, "soft-reset (default): restarted, as neither backend resets in place", NULL },
	{ "disk", NULL, "parsed (xl-disk-configuration(5)), warned about: the simulator has no disk backend yet",
	  "disks served by the dom0 kernel's blkback, as xl's (docs/specs/devices.md)" },
	{ "vif", NULL, "parsed (xl-network-configuration(5)), warned about: the simulator has no network backend yet",
	  "vifs served by the dom0 kernel's netback, on a bridge, as xl's (docs/specs/devices.md)" },
	{ NULL, NULL, NULL, NULL },
};

/* the keys it does not: warned about, ignored, on both backends */
static const struct pm_config_key ignored[] = {
	{ "acpi", HVM, NULL, NULL },
	{ "acpi_firmware", HVM, NULL, NULL },
	{ "acpi_laptop_slate", HVM, NULL, NULL },
	{ "acpi_s3", HVM, NULL, NULL },
	{ "acpi_s4", HVM, NULL, NULL },
	{ "altp2m", "alternate P2M views: not offered", NULL, NULL },
	{ "altp2mhvm", "alternate P2M views: not offered", NULL, NULL },
	{ "apic", HVM, NULL, NULL },
	{ "bios", HVM, NULL, NULL },
	{ "bios_path_override", HVM, NULL, NULL },
	{ "boot", HVM, NULL, NULL },
	{ "bootloader", BOOT, NULL, NULL },
	{ "bootloader_args", BOOT, NULL, NULL },
	{ "builder", "deprecated in xl.cfg(5): type= chooses the guest type", NULL, NULL },
	{ "cap", SCHED, NULL, NULL },
	{ "channel", PVDEV, NULL, NULL },
	{ "cpu_weight", SCHED, NULL, NULL },
	{ "cpuid", "a CPUID policy: Xen's default policy applies (the simulator's CPUs are fixed)", NULL, NULL },
	{ "cpus", SCHED, NULL, NULL },
	{ "cpus_soft", SCHED, NULL, NULL },
	{ "device_model_args", DM, NULL, NULL },
	{ "device_model_args_hvm", DM, NULL, NULL },
	{ "device_model_args_pv", DM, NULL, NULL },
	{ "device_model_override", DM, NULL, NULL },
	{ "device_model_stubdomain_override", STUBDOM, NULL, NULL },
	{ "device_model_stubdomain_seclabel", STUBDOM, NULL, NULL },
	{ "device_model_user", DM, NULL, NULL },
	{ "device_model_version", DM, NULL, NULL },
	{ "device_tree", PASS, NULL, NULL },
	{ "dm_restrict", DM, NULL, NULL },
	{ "driver_domain", "driver domains: physmap's backends run in dom0", NULL, NULL },
	{ "dtdev", PASS, NULL, NULL },
	{ "e820_host", PASS, NULL, NULL },
	{ "firmware", "a firmware image: physmap boots the kernel= image directly", NULL, NULL },
	{ "gfx_passthru", PASS, NULL, NULL },
	{ "hap", "the paging mode: the hypervisor's default (HAP where the CPU has it)", NULL, NULL },
	{ "hdtype", HVM, NULL, NULL },
	{ "hpet", HVM, NULL, NULL },
	{ "init_seclabel", SEC, NULL, NULL },
	{ "iomem", PASS, NULL, NULL },
	{ "ioports", PASS, NULL, NULL },
	{ "irqs", PASS, NULL, NULL },
	{ "keymap", GFX, NULL, NULL },
	{ "localtime", HVM, NULL, NULL },
	{ "max_event_channels", GNT, NULL, NULL },
	{ "max_grant_frames", GNT, NULL, NULL },
	{ "max_grant_version", GNT, NULL, NULL },
	{ "max_maptrack_frames", GNT, NULL, NULL },
	{ "mca_caps", HVM, NULL, NULL },
	{ "mmio_hole", HVM, NULL, NULL },
	{ "ms_vm_genid", HVM, NULL, NULL },
	{ "msr_relaxed", "x86 MSR policy: the hypervisor's default applies", NULL, NULL },
	{ "nestedhvm", "nested virtualisation: not offered", NULL, NULL },
	{ "nographic", GFX, NULL, NULL },
	{ "nomigrate", "not enforced yet: pxl save and migrate do not check it", NULL, NULL },
	{ "nx", HVM, NULL, NULL },
	{ "oos", "shadow paging tuning: the hypervisor's default applies", NULL, NULL },
	{ "opengl", GFX, NULL, NULL },
	{ "p9", PVDEV, NULL, NULL },
	{ "pae", HVM, NULL, NULL },
	{ "passthrough", PASS, NULL, NULL },
	{ "pci", PASS, NULL, NULL },
	{ "pci_msitranslate", PASS, NULL, NULL },
	{ "pci_permissive", PASS, NULL, NULL },
	{ "pci_power_mgmt", PASS, NULL, NULL },
	{ "pci_seize", PASS, NULL, NULL },
	{ "pool", SCHED, NULL, NULL },
	{ "pvcalls", PVDEV, NULL, NULL },
	{ "pvshim", SHIM, NULL, NULL },
	{ "pvshim_cmdline", SHIM, NULL, NULL },
	{ "pvshim_extra", SHIM, NULL, NULL },
	{ "pvshim_path", SHIM, NULL, NULL },
	{ "rdm", PASS, NULL, NULL },
	{ "rdm_mem_boundary", PASS, NULL, NULL },
	{ "rtc_timeoffset", HVM, NULL, NULL },
	{ "sdl", GFX, NULL, NULL },
	{ "seclabel", SEC, NULL, NULL },
	{ "serial", "emulated serial ports: the pc board always has its COM1 (the virt board its PL011)", NULL, NULL },
	{ "shadow_memory", "the shadow paging pool: the hypervisor's default size applies", NULL, NULL },
	{ "smbios_firmware", HVM, NULL, NULL },
	{ "soundhw", HVM, NULL, NULL },
	{ "spice", GFX, NULL, NULL },
	{ "spice_clipboard_sharing", GFX, NULL, NULL },
	{ "spice_image_compression", GFX, NULL, NULL },
	{ "spice_streaming_video", GFX, NULL, NULL },
	{ "spiceagent_mouse", GFX, NULL, NULL },
	{ "spicedisable_ticketing", GFX, NULL, NULL },
	{ "spicehost", GFX, NULL, NULL },
	{ "spicepasswd", GFX, NULL, NULL },
	{ "spiceport", GFX, NULL, NULL },
	{ "spicetls_port", GFX, NULL, NULL },
	{ "spiceusbredirection", GFX, NULL, NULL },
	{ "spicevdagent", GFX, NULL, NULL },
	{ "stdvga", GFX, NULL, NULL },
	{ "stubdomain_cmdline", STUBDOM, NULL, NULL },
	{ "stubdomain_kernel", STUBDOM, NULL, NULL },
	{ "stubdomain_memory", STUBDOM, NULL, NULL },
	{ "stubdomain_ramdisk", STUBDOM, NULL, NULL },
	{ "tee", "a TEE mediator (Arm): not offered", NULL, NULL },
	{ "timer_mode", "the HVM timer mode: physmap always sets no_delay_for_missed_ticks, libxl's default", NULL, NULL },
	{ "tsc_mode", "the TSC mode: physmap always sets native on Xen (notes/xen-box.md); the simulator has one", NULL, NULL },
	{ "usb", PASS, NULL, NULL },
	{ "usbctrl", PVDEV, NULL, NULL },
	{ "usbdev", PASS, NULL, NULL },
	{ "usbdevice", PASS, NULL, NULL },
	{ "usbversion", PASS, NULL, NULL },
	{ "vdispl", PVDEV, NULL, NULL },
	{ "vendor_device", HVM, NULL, NULL },
	{ "vfb", GFX, NULL, NULL },
	{ "vga", GFX, NULL, NULL },
	{ "videoram", GFX, NULL, NULL },
	{ "viridian", HVM, NULL, NULL },
	{ "vkb", PVDEV, NULL, NULL },
	{ "vkb_device", HVM, NULL, NULL },
	{ "vmtrace_buf_kb", "processor trace buffers: not offered", NULL, NULL },
	{ "vnc", GFX, NULL, NULL },
	{ "vncdisplay", GFX, NULL, NULL },
	{ "vnclisten", GFX, NULL, NULL },
	{ "vncpasswd", GFX, NULL, NULL },
	{ "vncunused", GFX, NULL, NULL },
	{ "vnuma", "a virtual NUMA topology: guests see one node", NULL, NULL },
	{ "vpmu", "the virtual PMU: the hypervisor's default applies", NULL, NULL },
	{ "vpt_align", HVM, NULL, NULL },
	{ "vsnd", PVDEV, NULL, NULL },
	{ "vtpm", PVDEV, NULL, NULL },
	{ "xen_platform_pci", HVM, NULL, NULL },
	{ "xend_suspend_evtchn_compat", "xend's suspend event channel: not offered", NULL, NULL },
	{ NULL, NULL, NULL, NULL },
};

const struct pm_config_key *pm_config_keys_honoured(void)
{
	return honoured;
}

const struct pm_config_key *pm_config_keys_ignored(void)
{
	return ignored;
}

const struct pm_config_key *pm__config_key_find(const struct pm_config_key *table, const char *key)
{
	for (const struct pm_config_key *k = table; k->key; k++)
		if (!strcmp(k->key, key))
			return k;
	return NULL;
}
