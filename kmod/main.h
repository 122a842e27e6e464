/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KDHT_MAIN_H
#define _KDHT_MAIN_H

#include <linux/types.h>

extern unsigned int kdht_net_id;
extern ushort kdht_default_port;

#endif /* _KDHT_MAIN_H */
