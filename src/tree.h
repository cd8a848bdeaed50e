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

/*
 * The allocator of every tree: a node added to a tree after its parse
 * (cmark_node_new_with_mem, cmark_parser_new_with_mem) must come from
 * it, as cmark frees a whole tree through its root's allocator.
 */
cmark_mem	*tree_mem(void);

/* Free a tree from tree_parse and its arena; both may be NULL. */
void		 tree_free(cmark_node *root, struct tree_arena *arena);

#endif
