/*
 * harness/demo_text.c — the narration catalogue of `socklab demo`, English
 * and Chinese. The Chinese follows the seeds' classroom vocabulary (粘包,
 * 半包, 缓冲区, Nagle 算法, 报头). Sentences here never carry numbers: the
 * measured values are printed next to them by the demo, and verdicts come
 * in pairs (what we hoped to see / what we saw instead) chosen by the
 * measurement.
 */
#include "harness/demo.h"

#include <string.h>

struct demo_text {
	const char *key, *en, *zh;
};

static const struct demo_text texts[] = {
	/* ---- the engine ---- */
	{"ui.enter", "[Enter: next step] ", "[按回车进入下一步] "},
	{"ui.colon", ": ", "："},
	{"ui.yes", "yes", "是"},
	{"ui.no", "no", "否"},
	{"ui.unavailable", "not available on this machine", "本机无法测量"},
	{"ui.error", "error", "错误"},
	{"ui.html_written", "Page written to", "网页已写入"},
	{"u.calls", "calls", "次"},
	{"u.bytes", "bytes", "字节"},
	{"u.msgs", "messages", "条消息"},
	{"u.segments", "segments", "个报文段"},
	{"u.datagrams", "datagrams", "个数据报"},

	/* ---- sticky ---- */
	{"sticky.title", "socklab demo sticky: why TCP glues messages together (sticky packets)",
	 "socklab 演示：TCP 粘包是怎么回事"},
	{"st.noroot",
	 "(Not running as root: the live capture of the wire is not possible here, so the "
	 "segment counts come from the sender's own kernel counter, TCP_INFO, and the "
	 "timeline has no wire lane.)",
	 "（当前不是 root 用户，无法抓包，所以报文段数量取自发送端内核自己的计数器 "
	 "TCP_INFO，时间线上也没有“线路”这一栏。）"},
	{"st.s1", "Several send()s, one recv(1024)", "连续几次 send()，一次 recv(1024)"},
	{"st.s1.say",
	 "The client sends short messages, each in its own send() call, as fast as it can. "
	 "The server, like the seeds' servers, calls recv(1024) — but it gets there 50 ms "
	 "late, as a busy server would.",
	 "客户端把几条短消息分别用 send() 发出去，一条一次，中间不停顿。服务端跟博客里的例子"
	 "一样调用 recv(1024)，只是晚到了 50 毫秒——就像一个正在忙别的事的服务端。"},
	{"st.sends", "send() calls by the client", "客户端 send() 次数"},
	{"st.wire_segments", "segments on the wire (sender's TCP_INFO)",
	 "线路上的报文段（发送端 TCP_INFO）"},
	{"st.captured_segments", "segments on the wire (captured on lo)",
	 "线路上的报文段（在 lo 上抓包）"},
	{"st.recvs", "recv() calls that returned data", "收到数据的 recv() 次数"},
	{"st.first_recv_bytes", "bytes returned by the first recv()", "第一次 recv() 拿到的字节数"},
	{"st.first_recv_msgs", "messages inside the first recv()", "第一次 recv() 里包含的消息数"},
	{"st.glued", "messages glued together", "发生粘包"},
	{"st.align", "alignment of sends, segments and recvs", "send、报文段与 recv 的对齐分析"},
	{"st.al_coalesced", "segments carrying several sends (alignment)",
	 "装了好几次 send 的报文段（对齐分析）"},
	{"st.al_merged", "recvs returning several segments (alignment)",
	 "一次拿到好几个报文段的 recv（对齐分析）"},
	{"st.al_sticky", "messages sharing a recv with another (alignment)",
	 "和别的消息挤在同一次 recv 里的消息（对齐分析）"},
	{"st.al_nagle", "cause: Nagle (sender)", "原因：Nagle 算法（发送端）"},
	{"st.al_late", "cause: late reader (receiver)", "原因：读得晚（接收端）"},
	{"st.al_unknown", "cause: not established by the evidence", "原因：证据不足以判断"},
	{"st.tl_time", "t (us)", "时间(微秒)"},
	{"st.tl_send", "app send", "应用 send"},
	{"st.tl_wire", "wire segment", "线路报文段"},
	{"st.tl_recv", "app recv", "应用 recv"},
	{"st.x_time", "time (µs)", "时间（微秒）"},
	{"st.y_offset", "stream offset (bytes)", "字节流偏移（字节）"},
	{"st.s1.glued",
	 "One recv() returned several messages: the boundaries between the send() calls are "
	 "gone. TCP is a byte stream; it never promised to keep them. This is the sticky "
	 "packet.",
	 "一次 recv() 把好几条消息一起收了上来，几次 send() 之间的边界没有了。TCP 是字节流，"
	 "它从来没有保证过消息边界——这就是粘包。"},
	{"st.s1.notglued",
	 "This time every recv() got a single message: the gluing did not happen in this run "
	 "(the machine was fast enough, or the reader was not late enough). It is still not "
	 "guaranteed: run it again.",
	 "这一次每个 recv() 都只拿到一条消息，没有粘包（机器够快，或者读得不够晚）。"
	 "但这并不是保证，多运行几次看看。"},
	{"st.s2", "Why: the sender side (Nagle) and the receiver side (late reader)",
	 "原因：发送端（Nagle 算法）和接收端（读得晚）"},
	{"st.s2.say",
	 "Two separate causes. Sender side: with Nagle's algorithm on (the default), while a "
	 "small segment is waiting for its ACK the kernel holds further small writes in the "
	 "send buffer and sends them together. Here the reader is already waiting in recv(); "
	 "we count the segments with Nagle on and with TCP_NODELAY. The recv() "
	 "count shows that even a waiting reader can fall behind a fast sender.",
	 "粘包有两个来源，分开来测。发送端：Nagle 算法默认是打开的，前一个小报文段还在等 ACK "
	 "的时候，内核会把后面的小数据先攒在发送缓冲区里，再合成一个报文段一起发。这一步服务端"
	 "早已在 recv() 上等着，我们分别在开着 Nagle 和设置 TCP_NODELAY 时各数一数"
	 "报文段的个数。recv() 的次数说明：即使读的一方一直在等，也可能跟不上发得很快的一方。"},
	{"st.s2.nagle", "With Nagle (the default):", "开着 Nagle（默认）："},
	{"st.s2.nodelay", "With TCP_NODELAY:", "设置 TCP_NODELAY："},
	{"st.s2.chart", "Nagle on, the reader already waiting: sends, segments, recvs",
	 "开着 Nagle、服务端一直在读：send、报文段与 recv"},
	{"st.sender_coalesced", "the sender put several send()s into one segment",
	 "发送端把几次 send() 合进了一个报文段"},
	{"st.s2.coalesced",
	 "With Nagle, fewer segments than send() calls: the sender glued. With TCP_NODELAY "
	 "each send() left as its own segment. The receiver side is the next step.",
	 "开着 Nagle 时报文段比 send() 少，说明发送端已经粘了；设置 TCP_NODELAY 后每次 send() "
	 "都单独成了一个报文段。接收端的原因见下一步。"},
	{"st.s2.notcoalesced",
	 "In this run Nagle did not merge anything (every send() became its own segment): on "
	 "loopback the ACK can come back before the next send(). The receiver side below "
	 "glues anyway.",
	 "这一次 Nagle 没有合并（每次 send() 都成了单独的报文段）：在回环接口上，ACK 可能在下"
	 "一次 send() 之前就回来了。不过下面接收端照样会粘。"},
	{"st.s3", "TCP_NODELAY changes the wire, not the boundaries",
	 "TCP_NODELAY 改变了线路，但没有找回边界"},
	{"st.s3.say",
	 "Now TCP_NODELAY is on, so every send() is its own segment on the wire. But the "
	 "reader is 50 ms late again: the segments wait in the receive buffer, and one "
	 "recv(1024) takes everything that is there.",
	 "这次打开 TCP_NODELAY，每次 send() 在线路上都是一个单独的报文段。但服务端又晚读了 "
	 "50 毫秒：这些报文段都堆在接收缓冲区里，一次 recv(1024) 就把里面的全拿走了。"},
	{"st.max_per_recv", "most messages returned by one recv()", "一次 recv() 最多收到的消息数"},
	{"st.s3.glued",
	 "Separate segments, still glued: the receive buffer is a byte stream too. Turning "
	 "Nagle off is not a fix for sticky packets; only framing is.",
	 "报文段是分开的，收上来照样粘在一起：接收缓冲区也是字节流。关掉 Nagle 解决不了粘包，"
	 "只有给消息定边界（分帧）才行。"},
	{"st.s3.notglued",
	 "In this run the reader still got the messages one by one, even though it was late. "
	 "That is luck of timing, not a guarantee: run it again.",
	 "这一次虽然读得晚，每次还是只拿到一条消息。这是时机碰巧，不是保证，再运行一次试试。"},
	{"st.s4", "The seeds' fixes, each run and judged", "博客里的几种解决办法，逐个实测"},
	{"st.s4.say",
	 "The seeds list four fixes: sleep between sends (time.sleep), an acknowledgement per "
	 "message (the sender waits for conn.recv), a delimiter, and a length header with "
	 "\"read exactly what remains\". Each is run here with the same messages; \"intact\" "
	 "means the server got every message exactly as sent. The last two rows go through a "
	 "relay that cuts the stream into 3, 5, 2, 7, 1, 11-byte pieces, so messages arrive "
	 "split across segments (half packets).",
	 "博客里给了四种办法：两次 send 之间 sleep 一下（time.sleep），每条消息等对方确认"
	 "（发完先 conn.recv 等回复），加分隔符，以及加报头、\"还剩多少就收多少\"。下面用同样"
	 "的消息逐个实际运行；\"完整\"是指服务端收到的每条消息都和发出的一模一样。最后两行经过"
	 "一个中继，它把字节流切成 3、5、2、7、1、11 字节的小块，让消息跨报文段到达，也就是"
	 "半包。"},
	{"st.col_fix", "fix", "办法"},
	{"st.messages", "messages per run", "每轮发送的消息"},
	{"st.col_intact", "intact", "完整"},
	{"st.col_time", "sender time", "发送耗时"},
	{"st.col_split", "split reads", "半包读"},
	{"st.all_intact", "every message intact", "所有消息完整"},
	{"st.relay_writes", "pieces the relay wrote", "中继写出的小块数"},
	{"st.fix.none", "none (late reader)", "不处理（晚读）"},
	{"st.fix.sleep", "sleep between sends", "send 之间 sleep"},
	{"st.fix.sleep_late", "sleep, reader late", "sleep，但读得晚"},
	{"st.fix.ack", "ack per message", "每条消息等确认"},
	{"st.fix.delim", "delimiter \\n", "分隔符 \\n"},
	{"st.fix.length", "length header", "报头（长度）"},
	{"st.fix.naive_relay", "none, split by relay", "不处理，经中继切碎"},
	{"st.fix.length_relay", "length header, split by relay", "报头，经中继切碎"},
	{"st.s4.end",
	 "Read the table: sleep only works while the reader keeps up (and costs time on every "
	 "message); the ack costs a round trip per message; the delimiter and the length "
	 "header cost almost nothing and survive both gluing and splitting — \"split reads\" "
	 "counts the recv()s that ended in the middle of a message, which the length-header "
	 "reader simply continues.",
	 "看这张表：sleep 只有在对方读得够快时才管用，而且每条消息都要白等；确认法每条消息多一"
	 "个来回；分隔符和报头几乎不花时间，粘包、半包都能处理——\"半包读\"是在消息中间结束的 "
	 "recv() 次数，按报头收的一方只是接着把剩下的收完。"},

	/* ---- udp ---- */
	{"udp.title", "socklab demo udp: datagrams keep their boundaries, and get lost",
	 "socklab 演示：UDP 保留消息边界，但会丢包"},
	{"udp.s1", "The same sends, over UDP", "同样的发送，换成 UDP"},
	{"udp.s1.say",
	 "The same short messages as in the sticky demo, each in its own sendto(), and the "
	 "reader is 50 ms late again. UDP is message-oriented: each datagram is queued in the "
	 "receive buffer on its own, with its header, and each recvfrom() returns exactly one.",
	 "和粘包演示里一样的短消息，每条一次 sendto()，服务端同样晚读 50 毫秒。UDP 是面向消息"
	 "的：每个数据报连同报头在接收缓冲区里单独排队，每次 recvfrom() 正好取出一个。"},
	{"udp.sends", "sendto() calls by the client", "客户端 sendto() 次数"},
	{"udp.recvs", "recvfrom() calls that returned a datagram", "收到数据报的 recvfrom() 次数"},
	{"udp.intact", "messages received exactly as sent", "原样收到的消息"},
	{"udp.boundaries_kept", "boundaries kept (no gluing)", "边界保留（没有粘包）"},
	{"udp.s1.kept", "One recvfrom() per sendto(): UDP never glues datagrams.",
	 "一次 sendto() 对应一次 recvfrom()：UDP 不会粘包。"},
	{"udp.s1.notkept",
	 "Not every datagram came back as sent: something was lost even here, on loopback.",
	 "并不是每个数据报都原样收到了：即使在回环接口上也丢了东西。"},
	{"udp.s2", "An empty datagram is still a message", "空数据报也是一条消息"},
	{"udp.s2.say",
	 "The client sends zero bytes. On TCP, recv() returning 0 means the peer closed; on "
	 "UDP an empty datagram still carries its header and arrives as a message of length 0.",
	 "客户端发送 0 个字节。在 TCP 里 recv() 返回 0 表示对方关闭了连接；而 UDP 的空数据报"
	 "仍然带着报头，会作为一条长度为 0 的消息到达。"},
	{"udp.empty_received", "empty datagram received", "收到空数据报"},
	{"udp.empty_len", "length returned by recvfrom()", "recvfrom() 返回的长度"},
	{"udp.s2.got", "recvfrom() returned a message of 0 bytes, not an end of stream.",
	 "recvfrom() 返回了一条 0 字节的消息，而不是连接结束。"},
	{"udp.s2.lost", "The empty datagram did not arrive in time.", "空数据报没有按时到达。"},
	{"udp.s3", "A datagram larger than the buffer is cut off", "数据报比缓冲区大，会被截断"},
	{"udp.s3.say",
	 "The client sends 2000 bytes in one datagram; the server reads with a 1024-byte "
	 "buffer, like recvfrom(1024) in the seeds. TCP would hand over the rest in the next "
	 "recv(); UDP throws it away, and the kernel says so with the MSG_TRUNC flag.",
	 "客户端一次发出 2000 字节的数据报，服务端用 1024 字节的缓冲区去收，就像博客里的 "
	 "recvfrom(1024)。TCP 会在下一次 recv() 把剩下的给你；UDP 则直接丢掉多出来的部分，"
	 "内核用 MSG_TRUNC 标志告诉你被截断了。"},
	{"udp.sent_bytes", "datagram sent", "发出的数据报"},
	{"udp.buffer_bytes", "reader's buffer", "接收缓冲区大小"},
	{"udp.copied_bytes", "bytes the reader got", "实际收到的字节"},
	{"udp.real_bytes", "the datagram's real length (recvmsg with MSG_TRUNC)",
	 "数据报的真实长度（带 MSG_TRUNC 的 recvmsg）"},
	{"udp.msg_trunc", "MSG_TRUNC reported", "报告了 MSG_TRUNC"},
	{"udp.rest_lost", "the rest is gone (next recv finds nothing)",
	 "剩下的部分没了（下一次 recv 什么也收不到）"},
	{"udp.s3.trunc", "Truncated, and the kernel said so: size your buffer for the largest "
	 "datagram.", "被截断了，内核也明确报告了：缓冲区要按最大的数据报来准备。"},
	{"udp.s3.notrunc", "No truncation was reported in this run.", "这一次没有报告截断。"},
	{"udp.s4", "Start order: the client first, then the server", "启动顺序：先客户端，后服务端"},
	{"udp.s4.say",
	 "With TCP you must start the server first, or connect() is refused. A UDP client has "
	 "no connection to make: it can start first and sendto() succeeds even though nobody "
	 "is listening — that datagram is simply lost. Once the server is up, the next one "
	 "arrives.",
	 "TCP 必须先启动服务端，否则 connect() 会被拒绝。UDP 客户端不用建立连接：可以先启动，"
	 "即使没有人在监听，sendto() 也照样成功——只是这个数据报丢了。服务端启动之后，下一个"
	 "数据报就能收到。"},
	{"udp.send_before", "sendto() before the server exists succeeded",
	 "服务端还不存在时 sendto() 成功"},
	{"udp.got_after", "server got the datagram sent after it started",
	 "服务端收到了它启动之后发来的数据报"},
	{"udp.got_early", "server got the datagram sent before it started",
	 "服务端收到了它启动之前发来的数据报"},
	{"udp.tcp_refused", "TCP connect() in the same situation was refused",
	 "同样情况下 TCP 的 connect() 被拒绝"},
	{"udp.s4.ok", "The client started first and nothing failed; only what was sent before "
	 "the server existed is lost.", "客户端先启动，什么都没报错；只有服务端启动前发的数据丢了。"},
	{"udp.s4.notok", "The datagram sent after the server started did not arrive.",
	 "服务端启动后发送的数据报没有收到。"},
	{"udp.s5", "A flood against a small receive buffer: where did the datagrams go?",
	 "小接收缓冲区遇上突发流量：数据报去哪儿了？"},
	{"udp.s5.say",
	 "The server's receive buffer is set to 4 KiB (SO_RCVBUF; Linux doubles it) and it "
	 "does not read while the client sends a burst of 64-byte datagrams. UDP has no flow "
	 "control: what does not fit is dropped, and no one tells the sender. The kernel "
	 "counts every drop: per socket (SO_RXQ_OVFL) and for the whole system (RcvbufErrors in "
	 "/proc/net/snmp).",
	 "把服务端的接收缓冲区设成 4 KiB（SO_RCVBUF，Linux 会自动翻倍），客户端一口气发一批 "
	 "64 字节的数据报，服务端这时不读。UDP 没有流量控制：放不下的直接丢掉，也不会通知发送方。"
	 "不过内核把每一次丢弃都记下来了：按套接字记在 SO_RXQ_OVFL 里，全系统记在 "
	 "/proc/net/snmp 的 RcvbufErrors 里。"},
	{"udp.rcvbuf", "receive buffer (as the kernel set it)", "接收缓冲区（内核实际设置）"},
	{"udp.sent", "sent", "发出"},
	{"udp.send_errors", "refused at the sender", "在发送端就失败"},
	{"udp.received", "received by the server", "服务端收到"},
	{"udp.rxq_ovfl", "dropped at the socket buffer (SO_RXQ_OVFL)",
	 "在套接字缓冲区被丢弃（SO_RXQ_OVFL）"},
	{"udp.snmp", "RcvbufErrors in /proc/net/snmp (system-wide)",
	 "/proc/net/snmp 里的 RcvbufErrors（全系统）"},
	{"udp.unaccounted", "not accounted for", "去向不明"},
	{"udp.lost", "datagrams lost", "发生丢包"},
	{"udp.s5.accounted",
	 "Most of the burst was lost, and every lost datagram is in the kernel's drop counter: "
	 "sent = received + dropped. Nothing was reported to the sender.",
	 "大部分数据报丢了，但每一个都记在内核的丢包计数里：发出的 = 收到的 + 丢弃的。"
	 "发送方却没有收到任何通知。"},
	{"udp.s5.unaccounted",
	 "Datagrams were lost, but the counters do not add up to what was sent; see the "
	 "numbers above.", "发生了丢包，但计数器加起来和发出的数量对不上，请看上面的数字。"},
	{"udp.s5.nolost", "Nothing was lost this time: the buffer kept up with the burst.",
	 "这一次没有丢包：缓冲区撑住了这批数据。"},

	/* ---- concurrency ---- */
	{"conc.title", "socklab demo concurrency: who waits, and what each server model costs",
	 "socklab 演示：并发模型——谁在等，代价是什么"},
	{"cc.intro",
	 "The same server (one request: wait or compute, then echo) under six concurrency "
	 "models, as in the seeds' socketserver: TCPServer (iterative), ThreadingTCPServer "
	 "(thread), ForkingTCPServer (fork), and three that Python does not ship: prefork "
	 "workers, a thread pool, and an epoll event loop. Every client connects at the same "
	 "moment and sends one request; we time when each reply comes back and look at what "
	 "the server process used.",
	 "同一个服务端（每个请求先等待或计算一会儿，再原样返回），换六种并发模型来跑，对应博客"
	 "里的 socketserver：TCPServer（iterative，单线程逐个处理）、ThreadingTCPServer（thread，"
	 "每个连接一个线程）、ForkingTCPServer（fork，每个连接一个进程），再加上 Python 没有现成"
	 "提供的三种：预先创建的工作进程（prefork）、线程池（pool）和 epoll 事件循环。所有客户端"
	 "同一时刻连上来，各发一个请求；我们记下每个回复回来的时间，再看服务端进程用了多少资源。"},
	{"cc.col_model", "model", "模型"},
	{"cc.col_clients", "clients", "客户端"},
	{"cc.col_done", "replies at (ms)", "收到回复(毫秒)"},
	{"cc.col_wait", "wait (ms)", "等待(毫秒)"},
	{"cc.col_threads", "threads", "线程"},
	{"cc.col_procs", "procs", "子进程"},
	{"cc.col_cpu", "cpu (ms)", "CPU(毫秒)"},
	{"cc.col_rss", "rss (KiB)", "内存(KiB)"},
	{"cc.failed", "failed clients", "失败的客户端"},
	{"cc.work", "work per request", "每个请求的处理时间"},
	{"cc.cpus", "CPU cores", "CPU 核数"},
	{"cc.chart_y", "last reply (ms)", "最后一个回复（毫秒）"},
	{"cc.s1", "I/O-bound requests (the handler sleeps)", "I/O 密集型请求（处理函数在 sleep）"},
	{"cc.s1.say",
	 "Each request waits, as if for a disk or a database, without using the CPU. \"wait\" "
	 "is how much longer than the work itself the slowest client waited; threads and procs "
	 "are the most the server had at once.",
	 "每个请求都要等一会儿，就像在等磁盘或数据库，但不占 CPU。\"等待\"是最慢的那个客户端比"
	 "处理时间本身多等了多久；线程数和子进程数是服务端同一时刻最多用了多少。"},
	{"cc.it_waited", "iterative: the second client waited for the first",
	 "iterative：第二个客户端要等第一个处理完"},
	{"cc.th_waited", "thread: the second client waited for the first",
	 "thread：第二个客户端要等第一个处理完"},
	{"cc.s1.end",
	 "Iterative serves one client at a time: the second one waited a whole request. Threads "
	 "and processes serve them together, at the price of a thread or a process each; "
	 "prefork and the pool only as far as they have workers; one epoll loop serves "
	 "everybody's waiting at once with one event-loop thread.",
	 "iterative 一次只服务一个客户端：第二个客户端白等了一整个请求的时间。线程和进程可以同时"
	 "服务，代价是每个连接一个线程或一个进程；prefork 和线程池能同时服务的数量以工作者个数为"
	 "限；而 epoll 只用一个事件循环线程，就能同时照顾所有人的等待。"},
	{"cc.s1.odd",
	 "The measurement did not show the expected difference between iterative and thread "
	 "in this run (see the table); the machine may be overloaded.",
	 "这一次没有测出 iterative 和 thread 之间应有的差别（见上表），机器可能太忙了。"},
	{"cc.s2", "CPU-bound requests (the handler computes)", "CPU 密集型请求（处理函数在计算）"},
	{"cc.s2.say",
	 "Now each request burns the CPU for the same time. Waiting can overlap; computing "
	 "cannot overlap beyond the number of cores.",
	 "现在每个请求都要占用 CPU 同样长的时间。等待可以重叠，计算却最多只能按 CPU 核数并行。"},
	{"cc.ep_serial", "epoll: CPU work done one request at a time",
	 "epoll：CPU 计算只能一个请求一个请求地做"},
	{"cc.th_cores", "thread: limited by the number of cores", "thread：受 CPU 核数限制"},
	{"cc.s2.end",
	 "The single epoll loop, the best at waiting, is as serial as iterative when the work "
	 "is computation; threads and processes help only up to the number of cores. Choose "
	 "the model for the kind of work.",
	 "在等待上最省资源的单个 epoll 循环，一遇到计算就和 iterative 一样只能排队；线程和进程"
	 "最多也只能用满 CPU 的核数。选哪种模型，要看请求是在等还是在算。"},
	{"cc.th_cpu", "thread, many clients: CPU time the server used",
	 "thread，多个客户端：服务端实际用掉的 CPU 时间"},
	{"cc.req_cpu", "CPU time the requests asked for (clients x work)",
	 "这些请求要求的 CPU 时间（客户端数 x 处理时间）"},
	{"cc.wallspin", "the spin handler stops at a wall-clock deadline",
	 "spin 处理函数按实际经过的时间到点就停"},
	{"cc.s2.wall",
	 "One epoll loop computed one request after another, as iterative does. Threads and "
	 "processes answered everybody sooner than the cores allow — but look at the CPU "
	 "column: they did less work than was asked. socklab's spin handler computes until a "
	 "wall-clock deadline, so when more requests spin than there are cores, each one gets "
	 "only its share of a core. A real CPU-bound request (a fixed amount of work) would "
	 "have made the later clients wait.",
	 "单个 epoll 循环只能一个请求接一个请求地计算，和 iterative 一样。线程和进程回复得比核数"
	 "允许的还快——但请看 CPU 那一列：它们做的计算比要求的少。socklab 的 spin 处理函数按实际经过"
	 "的时间计时，到点就停；同时在算的请求多于核数时，每个请求只分到一部分 CPU。真正的 CPU 密集型"
	 "请求（固定的计算量）会让后面的客户端等更久。"},
	{"cc.s2.odd",
	 "The CPU-bound runs did not line up with the number of cores in this run (see the "
	 "table); other load on the machine changes these numbers.",
	 "这一次 CPU 密集型的结果和核数对不上（见上表），机器上的其他负载会影响这些数字。"},
};

const char *demo_t(const struct demo *d, const char *key)
{
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (strcmp(texts[i].key, key) == 0)
			return d->o.lang == DEMO_ZH ? texts[i].zh : texts[i].en;
	return key;
}
