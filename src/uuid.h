/*
 * Name-based UUIDs (RFC 4122 version 5, SHA-1), so that a book's
 * identifier is derived from its identity and never random.
 */
#ifndef GUIDEBOOK_UUID_H
#define GUIDEBOOK_UUID_H

/* Write the UUID of name in the URL namespace to out (37 bytes). */
void	uuid_v5(const char *name, char out[37]);

#endif
