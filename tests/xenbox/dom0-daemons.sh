# tests/xenbox/dom0-daemons.sh - sourced by both boxes' dom0 /init (copied
# in as /etc/dom0-daemons): xenfs, xenstored, xen-init-dom0 and
# xenconsoled (guests' logs in /var/log/xen/console), as a Xen host starts
# them (Xen's modules are loaded before), and xenbox_script
mount -t xenfs xenfs /proc/xen
mkdir -p /run/xenstored /run/xen /var/log/xen/console
xenstored --pid-file /run/xenstored.pid
for i in $(seq 100); do [ -S /run/xenstored/socket ] && break; sleep 0.1; done
xen-init-dom0 >/dev/null 2>&1
xenconsoled --log=guest --log-dir=/var/log/xen/console

# xenbox_script: the box's script, its status said on the console, then off
xenbox_script() {
	/xenbox-test
	echo "XENBOX: END rc=$?"
	poweroff -f
}
