/*
 * GitHub's smaller extensions, made from the text cmark leaves after
 * each parse (tables and footnotes have files of their own).  Each is a
 * custom inline node, told apart by its on_enter string:
 *
 *	"del"		~~text~~ (strikethrough): its children are the text
 *	"task"		the [ ] or [x] that opens a list item; on_exit
 *			" " or "x"
 *	"alert"		the [!NOTE] line that opens a block quote; on_exit
 *			the label ("Note", "Tip", "Important", "Warning",
 *			"Caution")
 *	"id"		a heading's {#name} attribute; on_exit the name
 *
 * Like every transform, the same text always makes the same tree.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gfm.h"
#include "tree.h"
#include "util.h"

static cmark_node *
custom_inline(const char *kind, const char *value)
{
	cmark_node	*n;

	n = cmark_node_new_with_mem(CMARK_NODE_CUSTOM_INLINE, tree_mem());
	cmark_node_set_on_enter(n, kind);
	if (value != NULL)
		cmark_node_set_on_exit(n, value);
	return n;
}

static cmark_node *
text_node(const char *s, size_t n)
{
	cmark_node	*t;
	char		*lit = xstrndup(s, n);

	t = cmark_node_new_with_mem(CMARK_NODE_TEXT, tree_mem());
	cmark_node_set_literal(t, lit);
	free(lit);
	return t;
}

/* Replace text node n's literal by its first len bytes. */
static void
cut_text(cmark_node *n, size_t len)
{
	char	*lit = xstrndup(cmark_node_get_literal(n), len);

	cmark_node_set_literal(n, lit);
	free(lit);
}

/*
 * ~~text~~ inside one text node (the common case; a strikethrough
 * around other markup stays as written, and the loader warns).
 */
static void
strike(cmark_node *n)
{
	const char	*lit, *a, *b;
	cmark_node	*del, *after;

	while ((lit = cmark_node_get_literal(n)) != NULL &&
	    (a = strstr(lit, "~~")) != NULL &&
	    (b = strstr(a + 2, "~~")) != NULL && b > a + 2 &&
	    !isspace((unsigned char)a[2]) && !isspace((unsigned char)b[-1])) {
		del = custom_inline("del", NULL);
		cmark_node_append_child(del, text_node(a + 2,
		    (size_t)(b - a - 2)));
		after = text_node(b + 2, strlen(b + 2));
		cut_text(n, (size_t)(a - lit));
		cmark_node_insert_after(n, del);
		cmark_node_insert_after(del, after);
		n = after;
	}
}

/* "[ ] " or "[x] " at the start of a list item's first paragraph. */
static void
task(cmark_node *item)
{
	cmark_node	*p = cmark_node_first_child(item), *t;
	const char	*lit;
	char		 mark[2] = " ";

	if (p == NULL || cmark_node_get_type(p) != CMARK_NODE_PARAGRAPH ||
	    (t = cmark_node_first_child(p)) == NULL ||
	    cmark_node_get_type(t) != CMARK_NODE_TEXT ||
	    (lit = cmark_node_get_literal(t)) == NULL || lit[0] != '[' ||
	    strchr(" xX", lit[1]) == NULL || lit[1] == '\0' ||
	    lit[2] != ']' || (lit[3] != ' ' && lit[3] != '\0'))
		return;
	mark[0] = lit[1] == ' ' ? ' ' : 'x';
	cmark_node_prepend_child(p, custom_inline("task", mark));
	if (lit[3] == '\0')
		cmark_node_free(t);
	else {
		char *rest = xstrdup(lit + 4);

		cmark_node_set_literal(t, rest);
		free(rest);
	}
}

/* "> [!NOTE]" opening a block quote: a labelled note. */
static void
alert(cmark_node *quote)
{
	static const char *const kinds[] = { "NOTE", "Note", "TIP", "Tip",
	    "IMPORTANT", "Important", "WARNING", "Warning", "CAUTION",
	    "Caution", NULL };
	cmark_node	*p = cmark_node_first_child(quote), *t, *next;
	const char	*lit;
	size_t		 i, n;

	if (p == NULL || cmark_node_get_type(p) != CMARK_NODE_PARAGRAPH ||
	    (t = cmark_node_first_child(p)) == NULL ||
	    cmark_node_get_type(t) != CMARK_NODE_TEXT ||
	    (lit = cmark_node_get_literal(t)) == NULL ||
	    strncmp(lit, "[!", 2) != 0)
		return;
	for (i = 0; kinds[i] != NULL; i += 2) {
		n = strlen(kinds[i]);
		if (strncasecmp(lit + 2, kinds[i], n) == 0 &&
		    lit[2 + n] == ']' && lit[3 + n] == '\0')
			break;
	}
	if (kinds[i] == NULL)
		return;
	/* The line holds the marker alone; a line break follows it. */
	next = cmark_node_next(t);
	cmark_node_free(t);
	if (next != NULL && (cmark_node_get_type(next) ==
	    CMARK_NODE_SOFTBREAK || cmark_node_get_type(next) ==
	    CMARK_NODE_LINEBREAK))
		cmark_node_free(next);
	cmark_node_prepend_child(p, custom_inline("alert", kinds[i + 1]));
}

/* "## Heading {#name}": the name becomes the heading's id. */
static void
heading_id(cmark_node *h)
{
	cmark_node	*t = cmark_node_last_child(h);
	const char	*lit, *brace;
	size_t		 len, k;
	char		*name;

	if (t == NULL || cmark_node_get_type(t) != CMARK_NODE_TEXT ||
	    (lit = cmark_node_get_literal(t)) == NULL ||
	    (len = strlen(lit)) < 4 || lit[len - 1] != '}' ||
	    (brace = strrchr(lit, '{')) == NULL || brace[1] != '#')
		return;
	for (k = 2; brace + k < lit + len - 1; k++)
		if (!isalnum((unsigned char)brace[k]) && brace[k] != '-' &&
		    brace[k] != '_' && brace[k] != '.' && brace[k] != ':')
			return;
	if (k == 2)
		return;
	name = xstrndup(brace + 2, k - 2);
	cmark_node_append_child(h, custom_inline("id", name));
	free(name);
	for (len = (size_t)(brace - lit); len > 0 && lit[len - 1] == ' '; )
		len--;
	if (len == 0)
		cmark_node_free(t);
	else
		cut_text(t, len);
}

void
gfm_transform(cmark_node *root)
{
	cmark_iter		*it;
	cmark_event_type	 ev;
	cmark_node		*n, **todo = NULL;
	size_t			 nt = 0, cap = 0, i;
	cmark_node_type		 t;

	/* Collect first: the tree must not change under the iterator. */
	it = cmark_iter_new(root);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		n = cmark_iter_get_node(it);
		t = cmark_node_get_type(n);
		if (ev != CMARK_EVENT_ENTER || (t != CMARK_NODE_ITEM &&
		    t != CMARK_NODE_BLOCK_QUOTE && t != CMARK_NODE_HEADING &&
		    !(t == CMARK_NODE_TEXT &&
		    strstr(cmark_node_get_literal(n), "~~") != NULL)))
			continue;
		if (nt == cap) {
			cap = cap ? cap * 2 : 32;
			todo = xreallocarray(todo, cap, sizeof(*todo));
		}
		todo[nt++] = n;
	}
	cmark_iter_free(it);
	for (i = 0; i < nt; i++)
		switch (cmark_node_get_type(todo[i])) {
		case CMARK_NODE_ITEM:
			task(todo[i]);
			break;
		case CMARK_NODE_BLOCK_QUOTE:
			alert(todo[i]);
			break;
		case CMARK_NODE_HEADING:
			heading_id(todo[i]);
			break;
		default:
			strike(todo[i]);
			break;
		}
	free(todo);
}

const char *
gfm_kind(cmark_node *n, const char **value)
{
	const char	*kind;

	if (cmark_node_get_type(n) != CMARK_NODE_CUSTOM_INLINE ||
	    (kind = cmark_node_get_on_enter(n)) == NULL)
		return NULL;
	if (strcmp(kind, "del") != 0 && strcmp(kind, "task") != 0 &&
	    strcmp(kind, "alert") != 0 && strcmp(kind, "id") != 0)
		return NULL;
	if (value != NULL)
		*value = cmark_node_get_on_exit(n);
	return kind;
}
