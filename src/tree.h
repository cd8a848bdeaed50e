/*
 * Markdown trees parsed into arenas: a parse takes its memory from a few
 * large chunks instead of one malloc per node, and a tree is freed chunk
 * by chunk instead of node by node.
 */
#ifndef GUIDEBOOK_TREE_H
#define GUIDEBOOK_TREE_H

#include <stddef.h>

#include <cmark.h>

struct tree_arena;

/*
 * Parse len bytes of CommonMark; *arena receives the memory the tree
 * lives in.  Safe on several threads at once.
 */
cmark_node	*tree_parse(const char *text, size_t len,
		    struct tree_arena **arena);

/* Free a tree from tree_parse and its arena; both may be NULL. */
void		 tree_free(cmark_node *root, struct tree_arena *arena);

#endif
