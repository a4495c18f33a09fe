/*
 * version: the program's version, shown by `feedsense version` and exported
 * as the feedsense_build_info metric. Override with -DFS_VERSION=... .
 */
#ifndef FEEDSENSE_VERSION_H
#define FEEDSENSE_VERSION_H

#ifndef FS_VERSION
#define FS_VERSION "0.1.0"
#endif

#endif
