/*
 * privdrop.h -- give up root after the privileged set-up
 */
#ifndef SUBGATE_PRIVDROP_H
#define SUBGATE_PRIVDROP_H

#include <stddef.h>
#include <sys/types.h>

/*
 * privdrop_lookup - uid and gid of <user> (and of <group> when not empty,
 * else the user's primary group). 0, or -1 with a message in <err>.
 */
int privdrop_lookup(const char *user, const char *group, uid_t *uid, gid_t *gid,
    char *err, size_t errlen);

/*
 * privdrop_to - setgroups/setgid/setuid to (<uid>, <gid>), then check that
 * root cannot be regained. 0, or -1 with a message in <err>.
 */
int privdrop_to(uid_t uid, gid_t gid, char *err, size_t errlen);

#endif
