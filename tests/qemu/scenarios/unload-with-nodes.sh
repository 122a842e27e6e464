# suite: default
# group: lifecycle
# deep: no (rmmod-busy unloads with nodes alive, and busy)
# rmmod while namespaces with running, bootstrapped nodes are alive; the
# namespaces outlive the module and get a working node again after insmod.
N=4

mesh "$N"
nodes_up "$N"
bootstrap_all "$N"
wait_until 30 table_at_least "$N" 1
kdht_unload
expect_eq "namespaces after rmmod" "$N" "$("$IP" netns list | wc -l)"

kdht_load
# A namespace costs the new module nothing until a node starts in it.
on 2 test ! -e /proc/net/kdht || fail "node 2 after reload: /proc/net/kdht before any node"
node_up 1
node_up 2
expect_eq "node 2 after node up: running" 1 "$(proc_of 2 running)"
on 2 dhtctl -k ping "$(addr4 1):$KDHT_PORT" || fail "node 2 cannot ping node 1 after reload"
log "ok: node 2 pings node 1 after reload"
