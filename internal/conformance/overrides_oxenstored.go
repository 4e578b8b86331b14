// Code generated from a lab run against oxenstored, then reviewed; the
// reasons are written by hand. DO NOT EDIT the Match/Want text by hand:
// rerun the lab and regenerate.

package conformance

func init() {
	addOverrides("domain", DaemonOCaml, []Override{
		{Match: `09 raw: GET_DOMAIN_PATH "-1\x00" -> GET_DOMAIN_PATH "/local/domain/4294967295\x00"`,
			Want: `09 raw: GET_DOMAIN_PATH "-1\x00" -> GET_DOMAIN_PATH "/local/domain/1\x00"`,
			Why:  "oxenstored parses domids with OCaml's int_of_string (no C atoi: a non-number is EINVAL, no 32-bit wrap-around) and takes the first of several arguments"},
		{Match: `14 raw: GET_DOMAIN_PATH "99999999999\x00" -> GET_DOMAIN_PATH "/local/domain/1215752191\x00"`,
			Want: `14 raw: GET_DOMAIN_PATH "99999999999\x00" -> GET_DOMAIN_PATH "/local/domain/99999999999\x00"`,
			Why:  "oxenstored parses domids with OCaml's int_of_string (no C atoi: a non-number is EINVAL, no 32-bit wrap-around) and takes the first of several arguments"},
		{Match: `17 raw: GET_DOMAIN_PATH "" -> ERROR EINVAL
18 raw: IS_DOMAIN_INTRODUCED "\x00" -> IS_DOMAIN_INTRODUCED "T\x00"
19 raw: IS_DOMAIN_INTRODUCED "abc\x00" -> IS_DOMAIN_INTRODUCED "T\x00"`,
			Want: `17 raw: GET_DOMAIN_PATH "" -> not sent to oxenstored: it answers an empty payload only when the next request arrives (see errors)
18 raw: IS_DOMAIN_INTRODUCED "\x00" -> ERROR EINVAL
19 raw: IS_DOMAIN_INTRODUCED "abc\x00" -> ERROR EINVAL`,
			Why: "oxenstored parses domids with OCaml's int_of_string (no C atoi: a non-number is EINVAL, no 32-bit wrap-around) and takes the first of several arguments"},
		{Match: `24 raw: IS_DOMAIN_INTRODUCED "0\x001\x00" -> ERROR EINVAL`,
			Want: `24 raw: IS_DOMAIN_INTRODUCED "0\x001\x00" -> IS_DOMAIN_INTRODUCED "T\x00"`,
			Why:  "oxenstored parses domids with OCaml's int_of_string (no C atoi: a non-number is EINVAL, no 32-bit wrap-around) and takes the first of several arguments"},
	})
	addOverrides("errors", DaemonOCaml, []Override{
		{Match: `07 raw: READ "/xgo-conf/errors/x" -> ERROR ENOENT
08 raw: READ "" -> ERROR ENOENT
09 raw: READ "/xgo-conf/errors/x\x00extra\x00" -> ERROR ENOENT
10 raw: READ "/xgo-conf/errors/x\x00\x00" -> ERROR ENOENT`,
			Want: `07 raw: READ "/xgo-conf/errors/x" -> ERROR EINVAL
08 raw: READ "" -> no reply within 3s
09 raw: READ "/xgo-conf/errors/x\x00extra\x00" -> ERROR EINVAL, then ERROR EINVAL
10 raw: READ "/xgo-conf/errors/x\x00\x00" -> ERROR EINVAL`,
			Why: "oxenstored checks the payload of one-path requests itself and answers EINVAL; a request with an empty payload is answered only when the next request arrives (its reply then comes first)"},
		{Match: `16 raw: MKDIR "/xgo-conf/errors/m" -> ERROR ENOMEM
17 raw: MKDIR "/xgo-conf/errors/m\x00extra\x00" -> ERROR ENOMEM
18 raw: RM "" -> ERROR ENOMEM
19 raw: DIRECTORY "/xgo-conf/errors/x\x00extra\x00" -> ERROR ENOENT
20 raw: GET_PERMS "/xgo-conf/errors/x\x00extra\x00" -> ERROR ENOENT`,
			Want: `16 raw: MKDIR "/xgo-conf/errors/m" -> ERROR EINVAL
17 raw: MKDIR "/xgo-conf/errors/m\x00extra\x00" -> ERROR EINVAL
18 raw: RM "" -> not sent to oxenstored: it answers an empty payload only when the next request arrives (see errors)
19 raw: DIRECTORY "/xgo-conf/errors/x\x00extra\x00" -> ERROR EINVAL
20 raw: GET_PERMS "/xgo-conf/errors/x\x00extra\x00" -> ERROR EINVAL`,
			Why: "oxenstored checks the payload of one-path requests itself and answers EINVAL; a request with an empty payload is answered only when the next request arrives (its reply then comes first)"},
	})
	addOverrides("limits", DaemonOCaml, []Override{
		{Match: `01 dom0: write /xgo-conf/limits/big (4075 bytes) -> OK
02 dom0: read /xgo-conf/limits/big -> (4075 bytes) "vvvvvvvvvvvvvvvvvvvvvvvv"...`,
			Want: `01 dom0: write /xgo-conf/limits/big (4075 bytes) -> E2BIG
02 dom0: read /xgo-conf/limits/big -> ENOENT`,
			Why: "oxenstored applies its 2048-byte value quota (quota-maxsize) to dom0 too: E2BIG"},
		{Match: `04 dom0: read /xgo-conf/limits/big -> (4075 bytes) "vvvvvvvvvvvvvvvvvvvvvvvv"...
05 raw: WRITE (4096 bytes) "/xgo-conf/limits/big\x00vvv"... -> WRITE "OK\x00"
06 raw: READ "/xgo-conf/limits/big\x00" -> READ (4075 bytes) "vvvvvvvvvvvvvvvvvvvvvvvv"...`,
			Want: `04 dom0: read /xgo-conf/limits/big -> ENOENT
05 raw: WRITE (4096 bytes) "/xgo-conf/limits/big\x00vvv"... -> ERROR E2BIG
06 raw: READ "/xgo-conf/limits/big\x00" -> ERROR ENOENT`,
			Why: "oxenstored applies its 2048-byte value quota to dom0 too, so the 4096-byte payload is refused with E2BIG and the node never exists"},
		{Match: `08 dom0-dir: directory /xgo-conf/limits/dir -> [160 names, 4960 bytes: child-000-nnnnnnnnnnnnnnnnnnnn child-001-nnnnnnnnnnnnnnnnnnnn ... child-159-nnnnnnnnnnnnnnnnnnnn]
09 raw-dir: DIRECTORY "/xgo-conf/limits/dir\x00" -> ERROR E2BIG
10 raw: DIRECTORY_PART "/xgo-conf/limits/dir\x005000\x00" -> DIRECTORY_PART (generation) "\x00"`,
			Want: `08 dom0-dir: directory /xgo-conf/limits/dir -> connection lost
09 raw-dir: DIRECTORY "/xgo-conf/limits/dir\x00" -> a message announcing more than 4096 payload bytes (unreadable)
10 raw: DIRECTORY_PART "/xgo-conf/limits/dir\x005000\x00" -> ERROR ENOSYS`,
			Why: "oxenstored sends a DIRECTORY reply of more than 4096 bytes, which the client cannot read (its connection breaks), and has no DIRECTORY_PART (ENOSYS)"},
		{Match: `12 dom0: directory /xgo-conf/limits -> [big]`,
			Want: `12 dom0: directory /xgo-conf/limits -> []`,
			Why:  "the big node was never written (value quota), so the listing is empty"},
		{Match: `13 raw-big: WRITE with a header announcing 4097 payload bytes -> connection closed by xenstored
14 raw-big: READ "/xgo-conf/limits/big\x00" -> READ (4075 bytes) "vvvvvvvvvvvvvvvvvvvvvvvv"...`,
			Want: `13 raw-big: WRITE with a header announcing 4097 payload bytes -> ERROR E2BIG
14 raw-big: READ "/xgo-conf/limits/big\x00" -> no reply within 3s`,
			Why: "oxenstored answers a header announcing 4097 bytes with E2BIG and keeps the connection, which is then out of step: the next request is not answered"},
	})
	addOverrides("paths", DaemonOCaml, []Override{
		{Match: `12 raw: READ "@introduceDomain\x00" -> ERROR EINVAL
13 raw: WRITE "@xgo\x00v\x00" -> ERROR EINVAL
14 dom0: write /xgo-conf/paths/Lxxxxxxxxxxxxxxxxxxxxxxx...(2048 bytes) "fits" -> OK
15 dom0: read /xgo-conf/paths/Lxxxxxxxxxxxxxxxxxxxxxxx...(2048 bytes) -> "fits"
16 dom0: rm /xgo-conf/paths/Lxxxxxxxxxxxxxxxxxxxxxxx...(2048 bytes) -> OK`,
			Want: `12 raw: READ "@introduceDomain\x00" -> READ ""
13 raw: WRITE "@xgo\x00v\x00" -> WRITE "OK\x00"
14 dom0: write /xgo-conf/paths/Lxxxxxxxxxxxxxxxxxxxxxxx...(2048 bytes) "fits" -> EINVAL
15 dom0: read /xgo-conf/paths/Lxxxxxxxxxxxxxxxxxxxxxxx...(2048 bytes) -> EINVAL
16 dom0: rm /xgo-conf/paths/Lxxxxxxxxxxxxxxxxxxxxxxx...(2048 bytes) -> EINVAL`,
			Why: "oxenstored accepts @-paths as ordinary node names for READ and WRITE, and limits the whole path to its path-max (not 2048 bytes after /local/domain/ID/)"},
		{Match: `19 dom0: write /local/domain/0/xgo-conf-Lyyyyyyyyyyyyyy...(2064 bytes) "fits" -> OK
20 dom0: read /local/domain/0/xgo-conf-Lyyyyyyyyyyyyyy...(2064 bytes) -> "fits"
21 dom0: rm /local/domain/0/xgo-conf-Lyyyyyyyyyyyyyy...(2064 bytes) -> OK`,
			Want: `19 dom0: write /local/domain/0/xgo-conf-Lyyyyyyyyyyyyyy...(2064 bytes) "fits" -> EINVAL
20 dom0: read /local/domain/0/xgo-conf-Lyyyyyyyyyyyyyy...(2064 bytes) -> EINVAL
21 dom0: rm /local/domain/0/xgo-conf-Lyyyyyyyyyyyyyy...(2064 bytes) -> EINVAL`,
			Why: "oxenstored accepts @-paths as ordinary node names for READ and WRITE, and limits the whole path to its path-max (not 2048 bytes after /local/domain/ID/)"},
	})
	addOverrides("perms", DaemonOCaml, []Override{
		{Match: `15 dom0: set-perms /xgo-conf/perms/a n32000 -> ENOENT
16 dom0: get-perms /xgo-conf/perms/a -> perms r0`,
			Want: `15 dom0: set-perms /xgo-conf/perms/a n32000 -> OK
16 dom0: get-perms /xgo-conf/perms/a -> perms n32000`,
			Why: "oxenstored does not check that the owner domain exists"},
		{Match: `26 raw: SET_PERMS "/xgo-conf/perms/a\x00r 0\x00" -> SET_PERMS "OK\x00"
27 dom0: get-perms /xgo-conf/perms/a -> perms r0`,
			Want: `26 raw: SET_PERMS "/xgo-conf/perms/a\x00r 0\x00" -> ERROR EINVAL
27 dom0: get-perms /xgo-conf/perms/a -> perms w0`,
			Why: "oxenstored does not check that a permission's domain exists, parses domids with int_of_string (no strtol: no leading blank, no 32-bit wrap-around), and GET_PERMS then lists ids the client refuses to parse"},
		{Match: `40 raw: SET_PERMS "/xgo-conf/perms/a\x00r0x7d00\x00" -> ERROR ENOENT
41 dom0: get-perms /xgo-conf/perms/a -> perms n0
42 raw: SET_PERMS "/xgo-conf/perms/a\x00r-1\x00" -> ERROR ENOENT
43 dom0: get-perms /xgo-conf/perms/a -> perms n0`,
			Want: `40 raw: SET_PERMS "/xgo-conf/perms/a\x00r0x7d00\x00" -> SET_PERMS "OK\x00"
41 dom0: get-perms /xgo-conf/perms/a -> perms r32000
42 raw: SET_PERMS "/xgo-conf/perms/a\x00r-1\x00" -> SET_PERMS "OK\x00"
43 dom0: get-perms /xgo-conf/perms/a -> client refused the reply: protocol violation`,
			Why: "oxenstored does not check that a permission's domain exists, parses domids with int_of_string (no strtol: no leading blank, no 32-bit wrap-around), and GET_PERMS then lists ids the client refuses to parse"},
		{Match: `45 dom0: get-perms /xgo-conf/perms/a -> perms r0
46 raw: SET_PERMS "/xgo-conf/perms/a\x00r99999999999999999999\x00" -> ERROR ENOENT
47 dom0: get-perms /xgo-conf/perms/a -> perms r0`,
			Want: `45 dom0: get-perms /xgo-conf/perms/a -> client refused the reply: protocol violation
46 raw: SET_PERMS "/xgo-conf/perms/a\x00r99999999999999999999\x00" -> ERROR EINVAL
47 dom0: get-perms /xgo-conf/perms/a -> client refused the reply: protocol violation`,
			Why: "oxenstored does not check that a permission's domain exists, parses domids with int_of_string (no strtol: no leading blank, no 32-bit wrap-around), and GET_PERMS then lists ids the client refuses to parse"},
	})
	addOverrides("perms-domu", DaemonOCaml, []Override{
		{Match: `25 domU: get-perms /xgo-conf/perms-domu/rw/sub -> perms nU bU`,
			Want: `25 domU: get-perms /xgo-conf/perms-domu/rw/sub -> perms n0 bU`,
			Why:  "a node a guest creates keeps its parent's owner in oxenstored (C: the guest becomes the owner)"},
		{Match: `40 domU: read /xgo-conf/perms-domu/none/missing -> EACCES
41 domU: read /xgo-conf/perms-domu/wo/missing -> EACCES
42 domU: read /xgo-conf/perms-domu/none/missing/deeper -> EACCES`,
			Want: `40 domU: read /xgo-conf/perms-domu/none/missing -> ENOENT
41 domU: read /xgo-conf/perms-domu/wo/missing -> ENOENT
42 domU: read /xgo-conf/perms-domu/none/missing/deeper -> ENOENT`,
			Why: "oxenstored answers ENOENT for a missing node whatever the parent's permissions (C: EACCES unless an ancestor is readable, so a guest cannot probe for nodes)"},
		{Match: `45 domU: directory /xgo-conf/perms-domu/none/missing -> EACCES`,
			Want: `45 domU: directory /xgo-conf/perms-domu/none/missing -> ENOENT`,
			Why:  "oxenstored answers ENOENT for a missing node whatever the parent's permissions (C: EACCES)"},
		{Match: `47 domU: get-perms /xgo-conf/perms-domu/none/missing -> EACCES
48 domU: rm /xgo-conf/perms-domu/ro/missing -> EACCES`,
			Want: `47 domU: get-perms /xgo-conf/perms-domu/none/missing -> ENOENT
48 domU: rm /xgo-conf/perms-domu/ro/missing -> OK`,
			Why: "oxenstored answers ENOENT for a missing node whatever the parent's permissions, and RM of a missing node succeeds without a permission check (C: EACCES for both)"},
		{Match: `50 domU: rm /xgo-conf/perms-domu/none/missing -> EACCES`,
			Want: `50 domU: rm /xgo-conf/perms-domu/none/missing -> OK`,
			Why:  "RM of a missing node succeeds in oxenstored without a permission check (C: EACCES)"},
		{Match: `53 dom0: get-perms /xgo-conf/perms-domu/wo/new -> perms nU wU
54 domU: read /xgo-conf/perms-domu/wo/new -> "created under a write-only parent"`,
			Want: `53 dom0: get-perms /xgo-conf/perms-domu/wo/new -> perms n0 wU
54 domU: read /xgo-conf/perms-domu/wo/new -> EACCES`,
			Why: "a node a guest creates keeps its parent's owner in oxenstored, so under a write-only parent the guest cannot read what it wrote"},
		{Match: `60 domU: set-perms /xgo-conf/perms-domu/own n0 -> EPERM
61 domU: set-perms /xgo-conf/perms-domu/own n32000 -> ENOENT`,
			Want: `60 domU: set-perms /xgo-conf/perms-domu/own n0 -> EACCES
61 domU: set-perms /xgo-conf/perms-domu/own n32000 -> EACCES`,
			Why: "oxenstored refuses an owner change by a guest with EACCES (C: EPERM) and does not check first that the new owner exists (C: ENOENT)"},
		{Match: `70 domU: set-perms /xgo-conf/perms-domu/own nU r0 r32000 r32001 r32002 r32003 -> ENOSPC
71 domU: get-perms /xgo-conf/perms-domu/own -> perms nU r0 r32000 r32001 r32002`,
			Want: `70 domU: set-perms /xgo-conf/perms-domu/own nU r0 r32000 r32001 r32002 r32003 -> OK
71 domU: get-perms /xgo-conf/perms-domu/own -> perms nU r0 r32000 r32001 r32002 r32003`,
			Why: "oxenstored has no limit on the entries of a permission list (C: 5 for guests, ENOSPC)"},
	})
	addOverrides("quota-domu", DaemonOCaml, []Override{
		{Match: `01 domU: begin 12 transactions -> 11 accepted, then ENOSPC`,
			Want: `01 domU: begin 12 transactions -> 11 accepted, then EQUOTA`,
			Why:  "oxenstored's transaction quota answers EQUOTA, not an xsd_errors name (the client shows the name; its errno is EINVAL)"},
		{Match: `08 domU: write /xgo-conf/quota-domu/own/big (2016 bytes) -> ENOSPC
09 domU: read /xgo-conf/quota-domu/own/big -> (2015 bytes) "ssssssssssssssssssssssss"...
10 domU: write /xgo-conf/quota-domu/own/big (2017 bytes) -> ENOSPC
11 domU: write /xgo-conf/quota-domu/own/big (2049 bytes) -> ENOSPC
12 domU: write /xgo-conf/quota-domu/own/new (2016 bytes) -> ENOSPC
13 dom0: write /xgo-conf/quota-domu/own/big (3000 bytes) -> OK
14 domU: read /xgo-conf/quota-domu/own/big -> (3000 bytes) "ssssssssssssssssssssssss"...`,
			Want: `08 domU: write /xgo-conf/quota-domu/own/big (2016 bytes) -> OK
09 domU: read /xgo-conf/quota-domu/own/big -> (2016 bytes) "ssssssssssssssssssssssss"...
10 domU: write /xgo-conf/quota-domu/own/big (2017 bytes) -> OK
11 domU: write /xgo-conf/quota-domu/own/big (2049 bytes) -> E2BIG
12 domU: write /xgo-conf/quota-domu/own/new (2016 bytes) -> OK
13 dom0: write /xgo-conf/quota-domu/own/big (3000 bytes) -> E2BIG
14 domU: read /xgo-conf/quota-domu/own/big -> (2017 bytes) "ssssssssssssssssssssssss"...`,
			Why: "oxenstored's node quota counts only the value: up to 2048 bytes fit, more is E2BIG, for dom0 as well (C: a 2048-byte record of header, permissions, value and children is ENOSPC, dom0 exempt)"},
		{Match: `18 domU: write /xgo-conf/quota-domu/own/big (2008 bytes) -> ENOSPC`,
			Want: `18 domU: write /xgo-conf/quota-domu/own/big (2008 bytes) -> OK`,
			Why:  "oxenstored's node quota counts only the value, not the permission entries"},
		{Match: `20 domU T1: write /xgo-conf/quota-domu/own/big (2008 bytes) -> ENOSPC`,
			Want: `20 domU T1: write /xgo-conf/quota-domu/own/big (2008 bytes) -> OK`,
			Why:  "oxenstored's node quota counts only the value, not the permission entries"},
		{Match: `22 domU T1: commit -> ENOMEM
23 domU: read /xgo-conf/quota-domu/own/other -> ENOENT`,
			Want: `22 domU T1: commit -> OK
23 domU: read /xgo-conf/quota-domu/own/other -> "fine"`,
			Why: "the write in the transaction fit oxenstored's value quota, so the transaction commits (C: the refused write fails the transaction: ENOMEM)"},
	})
	addOverrides("tree", DaemonOCaml, []Override{
		{Match: `23 dom0: directory /xgo-conf/tree/order -> [b a c]`,
			Want: `23 dom0: directory /xgo-conf/tree/order -> [a b c]`,
			Why:  "oxenstored lists children sorted by name (C: in creation order)"},
		{Match: `26 dom0: directory /xgo-conf/tree/order -> [b c a]`,
			Want: `26 dom0: directory /xgo-conf/tree/order -> [a b c]`,
			Why:  "oxenstored lists children sorted by name (C: in creation order)"},
		{Match: `32 dom0: rm / -> EINVAL`,
			Want: `32 dom0: rm / -> not sent to oxenstored: its RM of / removes every node`,
			Why:  "not sent to oxenstored: its RM of / (path_rm with an empty path) removes every child of the root; C answers EINVAL"},
		{Match: `39 dom0: directory /xgo-conf/tree -> [a m v order]`,
			Want: `39 dom0: directory /xgo-conf/tree -> [a m order v]`,
			Why:  "oxenstored lists children sorted by name (C: in creation order)"},
	})
	addOverrides("tx", DaemonOCaml, []Override{
		{Match: `08 dom0 T1: directory /xgo-conf/tx -> [x new]`,
			Want: `08 dom0 T1: directory /xgo-conf/tx -> [new x]`,
			Why:  "oxenstored lists children sorted by name (C: in creation order)"},
		{Match: `47 raw: TRANSACTION_END tx=T "T\x00" -> ERROR ENOENT
48 raw: READ tx=T "/xgo-conf/tx/raw\x00" -> ERROR ENOENT`,
			Want: `47 raw: TRANSACTION_END tx=T "T\x00" -> ERROR EIO
48 raw: READ tx=T "/xgo-conf/tx/raw\x00" -> ERROR EIO`,
			Why: "oxenstored answers EIO for a transaction id it does not know (C: ENOENT)"},
		{Match: `50 raw: READ tx=T "/xgo-conf/tx/x\x00" -> ERROR ENOENT`,
			Want: `50 raw: READ tx=T "/xgo-conf/tx/x\x00" -> ERROR EIO`,
			Why:  "oxenstored answers EIO for a transaction id it does not know (C: ENOENT)"},
	})
	addOverrides("tx-conflict", DaemonOCaml, []Override{
		{Match: `27 dom0b T7: commit -> EAGAIN
28 dom0: directory /xgo-conf/tx-conflict/s -> [one]`,
			Want: `27 dom0b T7: commit -> OK
28 dom0: directory /xgo-conf/tx-conflict/s -> [one two]`,
			Why: "oxenstored merges new siblings created in two transactions (C: both changed the parent's child list: EAGAIN)"},
		{Match: `38 dom0 T9: commit -> EAGAIN
39 dom0: read /xgo-conf/tx-conflict/y2 -> "outside"`,
			Want: `38 dom0 T9: commit -> OK
39 dom0: read /xgo-conf/tx-conflict/y2 -> "t"`,
			Why: "oxenstored does not conflict on a node the transaction only wrote and another connection changed (C: the write read the node first: EAGAIN)"},
		{Match: `44 dom0 T10: commit -> EAGAIN`,
			Want: `44 dom0 T10: commit -> OK`,
			Why:  "oxenstored does not conflict on a missing node the transaction read and another connection then created (C: EAGAIN)"},
		{Match: `46 dom0 T11: read /xgo-conf/tx-conflict/y1 -> "a"`,
			Want: `46 dom0 T11: read /xgo-conf/tx-conflict/y1 -> "t"`,
			Why:  "follows from step 38: the transaction committed in oxenstored"},
	})
	addOverrides("watch", DaemonOCaml, []Override{
		{Match: `17 dom0b: write /xgo-conf/watch/w/a "2" -> OK
     dom0 event /xgo-conf/watch/w/a t1
     dom0 event /xgo-conf/watch/w/a t2`,
			Want: `17 dom0b: write /xgo-conf/watch/w/a "2" -> OK
     dom0 event /xgo-conf/watch/w/a t2
     dom0 event /xgo-conf/watch/w/a t1`,
			Why: "oxenstored fires the watches of one path newest first (C: oldest first)"},
		{Match: `25 dom0b: write /xgo-conf/watch/w/a "3" -> OK
     dom0 event /xgo-conf/watch/w/a t1`,
			Want: `25 dom0b: write /xgo-conf/watch/w/a "3" -> OK
     dom0 event /xgo-conf/watch/w/a t1
     raw event /xgo-conf/watch/w/a r1`,
			Why: "oxenstored sends an event again while an identical one is still queued for the connection (C merges them): the raw connection watches both w and w/a with token r1"},
	})
	addOverrides("watch-domu", DaemonOCaml, []Override{
		{Match: `27 domU: watch /xgo-conf/watch-domu/q until the domain holds 130 watches -> the domain's watches up to 129 accepted, watch 130: E2BIG`,
			Want: `27 domU: watch /xgo-conf/watch-domu/q until the domain holds 130 watches -> the domain's watches up to 101 accepted, watch 102: EINVAL`,
			Why:  "oxenstored's watch quota is 100 (101 fit) and refuses with EQUOTA, which Linux's xenbus driver turns into EINVAL"},
	})
	addOverrides("watch-order", DaemonOCaml, []Override{
		{Match: `04 raw: WRITE "/xgo-conf/watch-order/o/a\x00v" -> event /xgo-conf/watch-order/o/a w1, then WRITE "OK\x00"`,
			Want: `04 raw: WRITE "/xgo-conf/watch-order/o/a\x00v" -> WRITE "OK\x00"
     raw event /xgo-conf/watch-order/o/a w1`,
			Why: "oxenstored queues a request's reply before the watch events it causes, and a committed transaction fires for every node it touched, also those it created and removed again"},
		{Match: `05 raw: MKDIR "/xgo-conf/watch-order/o/b\x00" -> event /xgo-conf/watch-order/o/b w1, then MKDIR "OK\x00"`,
			Want: `05 raw: MKDIR "/xgo-conf/watch-order/o/b\x00" -> MKDIR "OK\x00"
     raw event /xgo-conf/watch-order/o/b w1`,
			Why: "oxenstored queues a request's reply before the watch events it causes, and a committed transaction fires for every node it touched, also those it created and removed again"},
		{Match: `06 raw: SET_PERMS "/xgo-conf/watch-order/o/b\x00b0\x00" -> event /xgo-conf/watch-order/o/b w1, then SET_PERMS "OK\x00"`,
			Want: `06 raw: SET_PERMS "/xgo-conf/watch-order/o/b\x00b0\x00" -> SET_PERMS "OK\x00"
     raw event /xgo-conf/watch-order/o/b w1`,
			Why: "oxenstored queues a request's reply before the watch events it causes, and a committed transaction fires for every node it touched, also those it created and removed again"},
		{Match: `07 raw: RM "/xgo-conf/watch-order/o/b\x00" -> event /xgo-conf/watch-order/o/b w1, then RM "OK\x00"`,
			Want: `07 raw: RM "/xgo-conf/watch-order/o/b\x00" -> RM "OK\x00"
     raw event /xgo-conf/watch-order/o/b w1`,
			Why: "oxenstored queues a request's reply before the watch events it causes, and a committed transaction fires for every node it touched, also those it created and removed again"},
		{Match: `09 raw2: WRITE "/xgo-conf/watch-order/o/a\x00w" -> event /xgo-conf/watch-order/o/a w2, then WRITE "OK\x00"
     raw event /xgo-conf/watch-order/o/a w1
     raw event /xgo-conf/watch-order/o/a w3`,
			Want: `09 raw2: WRITE "/xgo-conf/watch-order/o/a\x00w" -> WRITE "OK\x00"
     raw event /xgo-conf/watch-order/o/a w1
     raw event /xgo-conf/watch-order/o/a w3
     raw2 event /xgo-conf/watch-order/o/a w2`,
			Why: "oxenstored queues a request's reply before the watch events it causes, and a committed transaction fires for every node it touched, also those it created and removed again"},
		{Match: `15 raw: TRANSACTION_END tx=T "T\x00" -> event /xgo-conf/watch-order/o/a w1, then event /xgo-conf/watch-order/o/a w3, then event /xgo-conf/watch-order/o/d w1, then TRANSACTION_END "OK\x00"
     raw2 event /xgo-conf/watch-order/o/a w2`,
			Want: `15 raw: TRANSACTION_END tx=T "T\x00" -> event /xgo-conf/watch-order/o/c w1, then event /xgo-conf/watch-order/o/a w1, then event /xgo-conf/watch-order/o/a w3, then event /xgo-conf/watch-order/o/c w1, then event /xgo-conf/watch-order/o/d w1, then TRANSACTION_END "OK\x00"
     raw2 event /xgo-conf/watch-order/o/c w2
     raw2 event /xgo-conf/watch-order/o/a w2
     raw2 event /xgo-conf/watch-order/o/c w2`,
			Why: "oxenstored queues a request's reply before the watch events it causes, and a committed transaction fires for every node it touched, also those it created and removed again"},
	})
	addOverrides("watch-rm", DaemonOCaml, []Override{
		{Match: `09 dom0b: rm /xgo-conf/watch-rm/a -> OK
     dom0 event /xgo-conf/watch-rm/a/b/c/d wd-a
     dom0 event /xgo-conf/watch-rm/a/b/c wc-a
     dom0 event /xgo-conf/watch-rm/a w-a
     dom0 event /xgo-conf/watch-rm/a wbase-a
     dom0 event /xgo-conf/watch-rm/a wroot-a`,
			Want: `09 dom0b: rm /xgo-conf/watch-rm/a -> OK
     dom0 event /xgo-conf/watch-rm/a wroot-a
     dom0 event /xgo-conf/watch-rm/a wbase-a
     dom0 event /xgo-conf/watch-rm/a w-a
     dom0 event /xgo-conf/watch-rm/a/b/c wc-a
     dom0 event /xgo-conf/watch-rm/a/b/c/d wd-a
     dom0 event /xgo-conf/watch-rm/a/x wx-a`,
			Why: "oxenstored fires RM's events parent first, and for every watch below the removed node, also on nodes that did not exist"},
		{Match: `26 dom0b T1: commit -> OK
     dom0 event /xgo-conf/watch-rm/t w-t
     dom0 event /xgo-conf/watch-rm/t wbase-t
     dom0 event /xgo-conf/watch-rm/t wroot-t
     dom0 event /xgo-conf/watch-rm/t/b/c wc-t
     dom0 event /xgo-conf/watch-rm/t/b/c/d wd-t`,
			Want: `26 dom0b T1: commit -> OK
     dom0 event /xgo-conf/watch-rm/t wroot-t
     dom0 event /xgo-conf/watch-rm/t wbase-t
     dom0 event /xgo-conf/watch-rm/t w-t
     dom0 event /xgo-conf/watch-rm/t/b/c wc-t
     dom0 event /xgo-conf/watch-rm/t/b/c/d wd-t
     dom0 event /xgo-conf/watch-rm/t/x wx-t`,
			Why: "oxenstored fires RM's events parent first, and for every watch below the removed node, also on nodes that did not exist"},
	})
}
