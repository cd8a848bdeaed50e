/*
 * The verdict on a raw HTML node: cmark user data of every HTML_BLOCK
 * and HTML_INLINE node, made by the loader (html.c), read by the back
 * ends.  Its nodes live in the book's html_doc.
 */
#ifndef GUIDEBOOK_HTML_H
#define GUIDEBOOK_HTML_H

#include <libxml/tree.h>

#include "book.h"

enum html_kind {
	HTML_NOTHING,		/* a comment, or all of it dropped */
	HTML_BLOCK,		/* node's children: the sanitised block */
	HTML_OPEN,		/* an inline start tag: node, no children */
	HTML_VOID,		/* an inline element complete in itself */
	HTML_CLOSE		/* an inline end tag: name */
};

struct html {
	enum html_kind	 kind;
	xmlNodePtr	 node;		/* borrowed from the book's html_doc */
	char		*name;		/* HTML_OPEN, HTML_CLOSE: element name */
	char		*text;		/* HTML_BLOCK, HTML_VOID: plain text */
};

/* Judge an HTML_BLOCK node of d into h; warnings name its position. */
void	html_judge_block(struct book *, struct doc *, cmark_node *,
	    struct html *);

/*
 * Judge an HTML_INLINE node of d into h; in_link: an a element is open
 * where it stands (a Markdown link or a raw <a> before it).
 */
void	html_judge_inline(struct book *, struct doc *, cmark_node *,
	    int in_link, struct html *);

/* The verdict of a node, or NULL. */
const struct html *node_html(cmark_node *);

void	html_free(struct html *);

#endif
