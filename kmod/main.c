// SPDX-License-Identifier: GPL-2.0
/*
 * kdht.ko: a Kademlia routing node per network namespace. Namespaces get a
 * node only when one is configured over netlink, or init_net at load with
 * autostart=1.
 *
 * Init order: per-namespace state, then the netlink family (so no command
 * can reach a namespace without state); unload undoes it in reverse, which
 * stops every node before the module text goes away.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "main.h"
#include "netlink.h"
#include "node.h"

unsigned int kdht_net_id __read_mostly;

ushort kdht_default_port = KDHT_DEFAULT_PORT;
module_param_named(port, kdht_default_port, ushort, 0444);
MODULE_PARM_DESC(port, "UDP port of a node started without one");

unsigned int kdht_upcall_request_share = KDHT_UPCALL_REQUEST_SHARE;
module_param_named(upcall_request_share, kdht_upcall_request_share, uint, 0644);
MODULE_PARM_DESC(upcall_request_share,
		 "percent of the daemon's receive buffer requests from peers may fill (default 50); the rest stays for replies to its own operations");

static bool kdht_autostart;
module_param_named(autostart, kdht_autostart, bool, 0444);
MODULE_PARM_DESC(autostart, "start a node in the initial namespace at load");

/* Nothing but the pernet area: counters and /proc come with a first node. */
static int __net_init kdht_net_init(struct net *net)
{
	struct kdht_net *kn = net_generic(net, kdht_net_id);

	kn->net = net;
	mutex_init(&kn->lock);
	RCU_INIT_POINTER(kn->node, NULL);
	RCU_INIT_POINTER(kn->daemon, NULL);
	return 0;
}

static void __net_exit kdht_net_exit(struct net *net)
{
	struct kdht_net *kn = net_generic(net, kdht_net_id);

	mutex_lock(&kn->lock);
	kdht_node_stop(kn);
	kdht_netlink_forget_daemon(kn);
	kdht_net_release(kn);
	mutex_unlock(&kn->lock);
}

static struct pernet_operations kdht_net_ops = {
	.init = kdht_net_init,
	.exit = kdht_net_exit,
	.id = &kdht_net_id,
	.size = sizeof(struct kdht_net),
};

static int __init kdht_autostart_init_net(void)
{
	struct kdht_net *kn = net_generic(&init_net, kdht_net_id);
	struct kdht_node_cfg cfg = { .port = kdht_default_port };
	int ret;

	kd_params_default(&cfg.params);
	mutex_lock(&kn->lock);
	ret = kdht_node_start(kn, &cfg);
	mutex_unlock(&kn->lock);
	return ret;
}

static int __init kdht_init(void)
{
	int ret;

#ifdef DEBUG
	if (!kdht_node_selftest())
		return -ENOTRECOVERABLE;
#endif
	ret = register_pernet_device(&kdht_net_ops);
	if (ret)
		return ret;
	ret = kdht_netlink_init();
	if (ret)
		goto err_pernet;
	if (kdht_autostart) {
		ret = kdht_autostart_init_net();
		if (ret) {
			pr_err("cannot start the node on port %u: %d\n",
			       kdht_default_port, ret);
			goto err_netlink;
		}
	}
	pr_info("loaded\n");
	return 0;

err_netlink:
	kdht_netlink_uninit();
err_pernet:
	unregister_pernet_device(&kdht_net_ops);
	return ret;
}

static void __exit kdht_exit(void)
{
	kdht_netlink_uninit();
	unregister_pernet_device(&kdht_net_ops);
	rcu_barrier();
}

module_init(kdht_init);
module_exit(kdht_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Kademlia DHT routing node per network namespace");
MODULE_ALIAS_GENL_FAMILY(KDHT_GENL_NAME);
