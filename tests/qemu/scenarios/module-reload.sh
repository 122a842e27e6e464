# suite: default
# group: lifecycle
# Loading and unloading kdht.ko over and over, with a node running in the
# initial namespace each time (autostart), leaves nothing behind.
RELOADS=20

kdht_loaded && kdht_unload
i=1
while [ "$i" -le "$RELOADS" ]; do
	kdht_load autostart=1
	[ "$(awk '$1 == "running" { print $2 }' /proc/net/kdht)" = 1 ] ||
		fail "load $i: no running node in /proc/net/kdht after autostart"
	kdht_unload
	[ ! -e /proc/net/kdht ] || fail "load $i: /proc/net/kdht still there after rmmod"
	i=$((i + 1))
done
log "ok: $RELOADS loads and unloads"
kdht_load
