/*
 * GitHub-style pipe tables, made from paragraphs after each parse (see
 * table.c for the shape of the tree).
 */
#ifndef GUIDEBOOK_TABLE_H
#define GUIDEBOOK_TABLE_H

#include <cmark.h>

/*
 * Turn every paragraph of root that holds a pipe table into one; text
 * is the document's source (the rows are read from it).  Reports
 * nothing: the same text always makes the same tree.
 */
void	 table_transform(cmark_node *root, const char *text);

/* "table", "thead", "tbody", "tr", "th" or "td" for a table node, else NULL. */
const char *table_kind(cmark_node *);

/*
 * For a cell (th or td): its alignment ('l', 'c', 'r', or '-' for none)
 * and where its text starts in the file.  Its inlines were parsed from
 * the cell's text alone, after two bytes: a node at line 1, column c is
 * at line, col + c - 3.  Returns 0 for any other node.
 */
int	 table_cell(cmark_node *, char *align, int *col, int *line);

#endif
