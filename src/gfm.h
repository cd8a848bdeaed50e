/*
 * GitHub's smaller extensions: strikethrough, task list items, alerts
 * and heading ids (see gfm.c for the nodes they become).
 */
#ifndef GUIDEBOOK_GFM_H
#define GUIDEBOOK_GFM_H

#include <cmark.h>

/* Make the nodes in a freshly parsed tree.  Reports nothing. */
void		 gfm_transform(cmark_node *root);

/*
 * "del", "task", "alert" or "id" for such a node (*value, when not
 * NULL, gets its on_exit value), or NULL for any other node.
 */
const char	*gfm_kind(cmark_node *, const char **value);

#endif
