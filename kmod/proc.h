/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KDHT_PROC_H
#define _KDHT_PROC_H

struct kdht_net;

int kdht_proc_create(struct kdht_net *kn);
void kdht_proc_remove(struct kdht_net *kn);

#endif /* _KDHT_PROC_H */
