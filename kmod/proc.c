// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/kdht: the namespace's counters as "name value" lines, then the
 * node's id, port and table size, readable without any tool.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/netns/generic.h>

#include "kdht_stat_names.h"
#include "main.h"
#include "node.h"
#include "proc.h"

static int kdht_proc_show(struct seq_file *seq, void *v)
{
	struct kdht_net *kn = net_generic(seq_file_single_net(seq), kdht_net_id);
	u64 val[KDHT_STAT_COUNT];
	struct kdht_node *node;
	int i;

	kdht_stats_read(kn, val);
	for (i = 0; i < KDHT_STAT_COUNT; i++)
		seq_printf(seq, "%s %llu\n", kdht_stat_names[i], val[i]);

	mutex_lock(&kn->lock);
	node = kdht_node_get(kn);
	seq_printf(seq, "running %d\n", !!node);
	if (node) {
		spin_lock_bh(&node->lock);
		seq_printf(seq, "id %32phN\n", kd_core_self(node->core)->b);
		seq_printf(seq, "port %u\n", node->port);
		seq_printf(seq, "table_size %u\n", kd_core_table(node->core)->members);
		spin_unlock_bh(&node->lock);
	}
	mutex_unlock(&kn->lock);
	return 0;
}

int kdht_proc_create(struct kdht_net *kn)
{
	if (!proc_create_net_single("kdht", 0444, kn->net->proc_net,
				    kdht_proc_show, NULL))
		return -ENOMEM;
	return 0;
}

void kdht_proc_remove(struct kdht_net *kn)
{
	remove_proc_entry("kdht", kn->net->proc_net);
}
