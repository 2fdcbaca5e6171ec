/*
 * harness/demo/demo_text.c — the narration catalogue of `socklab demo`, English
 * and Chinese. The Chinese follows the seeds' classroom vocabulary (粘包,
 * 半包, 缓冲区, Nagle 算法, 报头). Sentences here never carry numbers: the
 * measured values are printed next to them by the demo, and verdicts come
 * in pairs (what we hoped to see / what we saw instead) chosen by the
 * measurement.
 */
#include "harness/demo/demo.h"

#include <string.h>

struct demo_text {
	const char *key, *en, *zh;
};

static const struct demo_text texts[] = {
	/* ---- the engine ---- */
	{"ui.enter", "[Enter: next step] ", "[按回车键进入下一步] "},
	{"ui.colon", ": ", "："},
	{"ui.yes", "yes", "是"},
	{"ui.no", "no", "否"},
	{"ui.unavailable", "not available on this machine", "本机无法测量"},
	{"ui.error", "error", "错误"},
	{"ui.html_written", "Page written to", "网页已写入"},
	/* Units: "KEY.1" is the form for the value 1 (demo_vali). */
	{"u.calls", "calls", "次"},
	{"u.calls.1", "call", "次"},
	{"u.bytes", "bytes", "字节"},
	{"u.bytes.1", "byte", "字节"},
	{"u.msgs", "messages", "条消息"},
	{"u.msgs.1", "message", "条消息"},
	{"u.segments", "segments", "个报文段"},
	{"u.segments.1", "segment", "个报文段"},
	{"u.datagrams", "datagrams", "个数据报"},
	{"u.datagrams.1", "datagram", "个数据报"},

	/* ---- sticky ---- */
	{"sticky.title", "socklab demo sticky: why TCP glues messages together (sticky packets)",
	 "socklab 演示：TCP 为什么会粘包"},
	{"st.noroot",
	 "(Not running as root: the live capture of the wire is not possible here, so the "
	 "segment counts come from the sender's own kernel counter, TCP_INFO, and the "
	 "timeline has no wire lane.)",
	 "（当前不是 root 用户，不能抓包：报文段的个数取自发送端内核自己的计数器 TCP_INFO，"
	 "时间线上也没有“网络上的报文段”这一栏。）"},
	{"st.s1", "Several send()s, one recv(1024)", "连续几次 send()，一次 recv(1024) 全收走"},
	{"st.s1.say",
	 "The client sends short messages, each in its own send() call, as fast as it can. "
	 "The server, like the seeds' servers, calls recv(1024) — but it gets there 50 ms "
	 "late, as a busy server would.",
	 "客户端连续发几条短消息，每条单独调用一次 send()，中间不停。服务端和讲义里的例子一样"
	 "调用 recv(1024)，只是晚了 50 毫秒才去收——就像服务端正忙着别的事。"},
	{"st.sends", "send() calls by the client", "客户端调用 send() 的次数"},
	{"st.wire_segments", "segments on the wire (sender's TCP_INFO)",
	 "网络上的报文段（发送端 TCP_INFO 的计数）"},
	{"st.captured_segments", "segments on the wire (captured on lo)",
	 "网络上的报文段（在 lo 上抓包）"},
	{"st.recvs", "recv() calls that returned data", "收到数据的 recv() 次数"},
	{"st.first_recv_bytes", "bytes returned by the first recv()", "第一次 recv() 收到的字节数"},
	{"st.first_recv_msgs", "messages inside the first recv()", "第一次 recv() 里有几条消息"},
	{"st.glued", "messages glued together", "出现粘包"},
	{"st.align", "matching sends, segments and recvs", "send、报文段和 recv 的逐个比对"},
	{"st.al_coalesced", "segments carrying several sends (from the capture)",
	 "装着好几次 send 数据的报文段（抓包比对）"},
	{"st.al_merged", "recvs returning several segments (from the capture)",
	 "一次收走好几个报文段的 recv（抓包比对）"},
	{"st.al_sticky", "messages sharing a recv with another (from the capture)",
	 "和别的消息挤在同一次 recv 里的消息（抓包比对）"},
	{"st.al_nagle", "cause: Nagle (sender)", "原因：Nagle 算法（发送端）"},
	{"st.al_late", "cause: late reader (receiver)", "原因：接收端收得晚"},
	{"st.al_unknown", "cause: not established by the evidence", "原因：现有证据无法判断"},
	{"st.tl_time", "t (us)", "时间(微秒)"},
	{"st.tl_send", "app send", "应用 send"},
	{"st.tl_wire", "wire segment", "网络上的报文段"},
	{"st.tl_recv", "app recv", "应用 recv"},
	{"st.x_time", "time (µs)", "时间（微秒）"},
	{"st.y_offset", "stream offset (bytes)", "在字节流中的位置（字节）"},
	{"st.zoom_sends", " — zoom on the sends", "——放大发送的那一小段"},
	{"st.zoom_all", " — the whole run, with the late recv", "——整个过程，包括晚到的 recv"},
	{"st.s1.glued",
	 "One recv() returned several messages: the boundaries between the send() calls are "
	 "gone. TCP is a byte stream; it never promised to keep them. This is the sticky "
	 "packet.",
	 "一次 recv() 把好几条消息一起收了上来，几次 send() 之间的边界没有了。TCP 是字节流"
	 "协议，本来就不保证消息边界——这就是粘包。"},
	{"st.s1.notglued",
	 "This time every recv() got a single message: the gluing did not happen in this run "
	 "(the machine was fast enough, or the reader was not late enough). It is still not "
	 "guaranteed: run it again.",
	 "这一次每个 recv() 都只收到一条消息，没有粘包（机器够快，或者接收端晚得不够多）。"
	 "但这只是碰巧，不是保证，多运行几次看看。"},
	{"st.s2", "Why, on the sender side: Nagle's algorithm", "原因之一，在发送端：Nagle 算法"},
	{"st.s2.say",
	 "Sticky packets have two separate causes; here is the sender's. With Nagle's "
	 "algorithm on (the default), while a small segment is waiting for its ACK the kernel "
	 "holds further small writes in the send buffer and sends them together in one "
	 "segment. This time the reader is already waiting in recv(); we count the segments "
	 "with Nagle on, then with TCP_NODELAY.",
	 "粘包有两个来源，这一步看发送端。Nagle 算法默认是开着的：前一个小报文段还在等 ACK "
	 "的时候，内核会把后面几次 send 的小数据先攒在发送缓冲区里，再合成一个报文段发出去。"
	 "这次服务端早就在 recv() 上等着了；我们先开着 Nagle 数一数报文段，再设置 TCP_NODELAY "
	 "数一次。"},
	{"st.s2.nagle", "With Nagle (the default):", "开着 Nagle（默认）："},
	{"st.s2.nodelay", "With TCP_NODELAY:", "设置 TCP_NODELAY 之后："},
	{"st.s2.chart", "Nagle on, the reader already waiting: sends, segments, recvs",
	 "开着 Nagle、服务端一直在收：send、报文段和 recv"},
	{"st.sender_coalesced", "with Nagle, the sender put several send()s into one segment",
	 "开着 Nagle 时，发送端把几次 send() 合进了一个报文段"},
	{"st.nodelay_separate", "with TCP_NODELAY, one segment per send()",
	 "设置 TCP_NODELAY 后，每次 send() 单独一个报文段"},
	{"st.s2.coalesced",
	 "With Nagle there were fewer segments than send() calls: the sender glued messages "
	 "before they ever left. The receiver side is the next step.",
	 "开着 Nagle 时，报文段比 send() 的次数少：数据还没发出去，在发送端就已经粘在一起了。"
	 "接收端的原因见下一步。"},
	{"st.s2.notcoalesced",
	 "In this run Nagle did not merge anything (every send() became its own segment): on "
	 "loopback the ACK can come back before the next send(). The receiver side, next, "
	 "glues anyway.",
	 "这一次 Nagle 没有合并（每次 send() 都是单独的报文段）：在本机回环接口上，ACK 可能在"
	 "下一次 send() 之前就回来了。不过下一步会看到，接收端照样会粘包。"},
	{"st.s2.behind",
	 "Look at the recv() count with TCP_NODELAY: even a reader that was already waiting "
	 "got fewer recv()s than there were segments — it fell behind a fast sender, and "
	 "segments piled up in its receive buffer.",
	 "再看设置 TCP_NODELAY 后 recv() 的次数：服务端明明一直在等，recv() 的次数还是比报文段"
	 "少——发送方太快，接收方跟不上，报文段就在接收缓冲区里堆起来了。"},
	{"st.s3", "On the receiver side: TCP_NODELAY changes the wire, not the boundaries",
	 "原因之二，在接收端：TCP_NODELAY 改变了报文段，却找不回边界"},
	{"st.s3.say",
	 "Now TCP_NODELAY is on, so every send() is its own segment on the wire. But the "
	 "reader is 50 ms late again: the segments wait in the receive buffer, and one "
	 "recv(1024) takes everything that is there.",
	 "这次设置了 TCP_NODELAY，每次 send() 在网络上都是一个单独的报文段。但服务端又晚了 "
	 "50 毫秒才收：这些报文段都堆在接收缓冲区里，一次 recv(1024) 就把里面的数据全部取走了。"},
	{"st.max_per_recv", "most messages returned by one recv()", "一次 recv() 最多收到几条消息"},
	{"st.s3.glued",
	 "Separate segments, still glued: the receive buffer is a byte stream too. Turning "
	 "Nagle off is not a fix for sticky packets; only framing is.",
	 "报文段是分开发的，收上来照样粘在一起：接收缓冲区里也只是一串字节。关掉 Nagle 解决"
	 "不了粘包，只有在应用层自己划分消息边界才行。"},
	{"st.s3.notglued",
	 "In this run the reader still got the messages one by one, even though it was late. "
	 "That is luck of timing, not a guarantee: run it again.",
	 "这一次虽然收得晚，每次还是只收到一条消息。这是时机凑巧，不是保证，再运行一次试试。"},
	{"st.s4", "The seeds' fixes, each run and judged", "讲义里的几种解决办法，逐个实测"},
	{"st.s4.say",
	 "The seeds list four fixes: sleep between sends (time.sleep), an acknowledgement per "
	 "message (the sender waits for conn.recv), a delimiter, and a length header with "
	 "\"read exactly what remains\". Each is run here with the same messages; \"intact\" "
	 "means the server got every message exactly as sent. The last two rows go through a "
	 "relay that forwards the stream slowly in pieces of 3, 5, 2, 7, 1, 11 bytes (or "
	 "smaller), a few milliseconds apart, so that messages arrive cut in pieces (half "
	 "packets).",
	 "讲义里给了四种办法：两次 send 之间 sleep 一会儿（time.sleep）；每发一条消息就等对方"
	 "确认（conn.recv）；加分隔符；加报头，按报头里的长度“还剩多少就收多少”。下面用同样的"
	 "消息逐个实际运行，“完整”是指服务端收到的每条消息都和发出的一模一样。最后两行经过"
	 "一个中继，它把字节流切成 3、5、2、7、1、11 字节（或者更小）的小块，每隔几毫秒慢慢"
	 "转发一块，这样消息就会被拆开、分几次到达，也就是半包。"},
	{"st.col_fix", "fix", "办法"},
	{"st.messages", "messages per run", "每轮发送的消息"},
	{"st.col_intact", "intact", "完整"},
	{"st.col_time", "sender time", "发送耗时"},
	{"st.col_split", "half reads", "半包次数"},
	{"st.col_ok", "works", "是否可靠"},
	{"st.y_ms_log", "sender time (ms, log scale)", "发送耗时（毫秒，对数坐标）"},
	{"st.all_intact", "every message intact", "所有消息都完整"},
	{"st.relay_writes", "pieces the relay wrote", "中继写出的小块数"},
	{"st.fix.none", "none (late reader)", "不处理（收得晚）"},
	{"st.fix.sleep", "sleep between sends", "两次 send 之间 sleep"},
	{"st.fix.sleep_late", "sleep, reader late", "sleep，但接收端收得晚"},
	{"st.fix.ack", "ack per message", "每条消息等确认"},
	{"st.fix.delim", "delimiter \\n", "分隔符 \\n"},
	{"st.fix.length", "length header", "报头（消息长度）"},
	{"st.fix.naive_relay", "none, split by relay", "不处理，经中继拆开"},
	{"st.fix.length_relay", "length header, split by relay", "报头，经中继拆开"},
	{"st.s4.end",
	 "Read the table: sleep only works while the reader keeps up (and costs time on every "
	 "message); the ack costs a round trip per message; the delimiter and the length "
	 "header cost almost nothing and survive both gluing and splitting. \"half reads\" "
	 "counts the recv()s that ended in the middle of a message.",
	 "看这张表：sleep 只有在接收端收得够快时才管用，而且每条消息都要白等一会儿；等确认的"
	 "办法每条消息要多一个来回；分隔符和报头几乎不花时间，粘包、半包都能正确处理。“半包"
	 "次数”是在一条消息中间就返回了的 recv() 次数。"},
	{"st.s4.odd",
	 "The table does not show the expected pattern in this run (see the yes/no column); "
	 "timing on a busy machine changes what the naive reader sees. Run it again.",
	 "这一次的结果和预期的不完全一样（见“是否可靠”一栏）：机器很忙时，时机的变化会影响"
	 "不做处理的接收端收到什么。再运行一次看看。"},
	{"st.s4.half",
	 "Through the relay the length-header reader really got half packets (see its half "
	 "reads) and still delivered every message intact: it simply reads on until the "
	 "header's length is complete.",
	 "经过中继时，按报头收的一方确实遇到了半包（见它的半包次数），但每条消息仍然完整："
	 "它只是按报头里的长度，没收够就接着收。"},
	{"st.s4.nohalf",
	 "Through the relay the length-header reader delivered every message intact; in this "
	 "run it happened to wake up only after whole messages had arrived, so it saw no half "
	 "packet itself.",
	 "经过中继时，按报头收的一方收到的消息都是完整的；不过这一次它每次醒来时整条消息都已"
	 "经到齐，自己没有碰上半包。"},

	/* ---- udp ---- */
	{"udp.title", "socklab demo udp: datagrams keep their boundaries, and get lost",
	 "socklab 演示：UDP 保留消息边界，但会丢包"},
	{"udp.s1", "The same sends, over UDP", "同样的发送，换成 UDP"},
	{"udp.s1.say",
	 "The same short messages as in the sticky demo, each in its own sendto(), and the "
	 "reader is 50 ms late again. UDP is message-oriented: each datagram is queued in the "
	 "receive buffer on its own, with its header, and each recvfrom() returns exactly one.",
	 "和粘包演示里一样的短消息，每条调用一次 sendto()，服务端同样晚 50 毫秒才收。UDP 是"
	 "面向消息的：每个数据报连同报头在接收缓冲区里单独排队，每次 recvfrom() 正好取出一个。"},
	{"udp.sends", "sendto() calls by the client", "客户端调用 sendto() 的次数"},
	{"udp.recvs", "recvfrom() calls that returned a datagram", "收到数据报的 recvfrom() 次数"},
	{"udp.intact", "messages received exactly as sent", "原样收到的消息"},
	{"udp.boundaries_kept", "boundaries kept (no gluing)", "边界保留（没有粘包）"},
	{"udp.s1.kept", "One recvfrom() per sendto(): UDP never glues datagrams.",
	 "一次 sendto() 对应一次 recvfrom()：UDP 不会粘包。"},
	{"udp.s1.notkept",
	 "Not every datagram came back as sent: something was lost even here, on loopback.",
	 "并不是每个数据报都原样收到了：即使在本机回环接口上也丢了数据。"},
	{"udp.s2", "An empty datagram is still a message", "空数据报也是一条消息"},
	{"udp.s2.say",
	 "The client sends zero bytes. On TCP, recv() returning 0 means the peer closed; on "
	 "UDP an empty datagram still carries its header and arrives as a message of length 0.",
	 "客户端发送 0 个字节。在 TCP 里，recv() 返回 0 表示对方关闭了连接；而 UDP 的空数据报"
	 "仍然带着报头，会作为一条长度为 0 的消息到达。"},
	{"udp.empty_received", "empty datagram received", "收到了空数据报"},
	{"udp.empty_len", "length returned by recvfrom()", "recvfrom() 返回的长度"},
	{"udp.s2.got", "recvfrom() returned a message of 0 bytes, not an end of stream.",
	 "recvfrom() 返回了一条 0 字节的消息，而不是表示连接结束。"},
	{"udp.s2.lost", "The empty datagram did not arrive in time.", "空数据报没有按时到达。"},
	{"udp.s3", "A datagram larger than the buffer is cut off", "数据报比缓冲区大，多出的部分被丢掉"},
	{"udp.s3.say",
	 "The client sends 2000 bytes in one datagram; the server reads with a 1024-byte "
	 "buffer, like recvfrom(1024) in the seeds. TCP would hand over the rest in the next "
	 "recv(); UDP throws it away, and the kernel says so with the MSG_TRUNC flag.",
	 "客户端一次发出一个 2000 字节的数据报，服务端用 1024 字节的缓冲区去收，就像讲义里的 "
	 "recvfrom(1024)。换成 TCP，剩下的数据下一次 recv() 还能收到；UDP 则直接把多出来的部分"
	 "丢掉，内核用 MSG_TRUNC 标志告诉你数据被截断了。"},
	{"udp.sent_bytes", "datagram sent", "发出的数据报"},
	{"udp.buffer_bytes", "reader's buffer", "接收用的缓冲区大小"},
	{"udp.copied_bytes", "bytes the reader got", "实际收到的字节"},
	{"udp.real_bytes", "the datagram's real length (recvmsg with MSG_TRUNC)",
	 "数据报的真实长度（recvmsg 带 MSG_TRUNC）"},
	{"udp.msg_trunc", "MSG_TRUNC reported", "内核报告了 MSG_TRUNC"},
	{"udp.rest_lost", "the rest is gone (next recv finds nothing)",
	 "多出的部分没了（下一次 recv 什么也收不到）"},
	{"udp.s3.trunc", "Truncated, and the kernel said so: size your buffer for the largest "
	 "datagram.", "数据被截断了，内核也明确报告了：接收缓冲区要按最大的数据报来准备。"},
	{"udp.s3.notrunc", "No truncation was reported in this run.", "这一次没有报告截断。"},
	{"udp.s4", "Start order: the client first, then the server", "启动顺序：先启动客户端，再启动服务端"},
	{"udp.s4.say",
	 "With TCP you must start the server first, or connect() is refused. A UDP client has "
	 "no connection to make: it can start first and sendto() succeeds even though nobody "
	 "is listening — that datagram is simply lost. Once the server is up, the next one "
	 "arrives.",
	 "TCP 必须先启动服务端，否则 connect() 会被拒绝。UDP 是无连接的：客户端可以先启动，"
	 "即使还没有人在监听，sendto() 也照样成功——只是这个数据报丢了。服务端启动之后，下一个"
	 "数据报就能收到。"},
	{"udp.send_before", "sendto() before the server exists succeeded",
	 "服务端还没启动时 sendto() 成功"},
	{"udp.got_after", "server got the datagram sent after it started",
	 "服务端收到了它启动之后发来的数据报"},
	{"udp.got_early", "server got the datagram sent before it started",
	 "服务端收到了它启动之前发来的数据报"},
	{"udp.tcp_refused", "TCP connect() in the same situation was refused",
	 "同样的情况下，TCP 的 connect() 被拒绝"},
	{"udp.s4.ok", "The client started first and nothing failed; only what was sent before "
	 "the server existed is lost.",
	 "客户端先启动，什么错也没报；只有服务端启动之前发的数据丢了。"},
	{"udp.s4.notok", "The datagram sent after the server started did not arrive.",
	 "服务端启动后发送的数据报没有收到。"},
	{"udp.s5", "A flood against a small receive buffer: where did the datagrams go?",
	 "小接收缓冲区遇上突发流量：数据报都去哪儿了？"},
	{"udp.s5.say",
	 "The server's receive buffer is set to 4 KiB (SO_RCVBUF; Linux doubles it) and it "
	 "does not read while the client sends a burst of 64-byte datagrams. UDP has no flow "
	 "control: what does not fit is dropped, and no one tells the sender. The kernel "
	 "counts every drop: per socket (SO_RXQ_OVFL) and for the whole system (RcvbufErrors in "
	 "/proc/net/snmp).",
	 "把服务端的接收缓冲区设成 4 KiB（SO_RCVBUF，Linux 会把它翻倍），客户端一口气发出一批 "
	 "64 字节的数据报，服务端这时先不收。UDP 没有流量控制：缓冲区放不下的直接丢掉，也不会"
	 "通知发送方。不过内核把每一次丢弃都记了下来：每个套接字记在 SO_RXQ_OVFL 里，整个系统"
	 "记在 /proc/net/snmp 的 RcvbufErrors 里。"},
	{"udp.rcvbuf", "receive buffer (as the kernel set it)", "接收缓冲区（内核实际设置的大小）"},
	{"udp.sent", "sent", "发出"},
	{"udp.send_errors", "refused at the sender", "在发送端就失败"},
	{"udp.received", "received by the server", "服务端收到"},
	{"udp.rxq_ovfl", "dropped at the socket buffer (SO_RXQ_OVFL)",
	 "在套接字缓冲区被丢弃（SO_RXQ_OVFL）"},
	{"udp.snmp", "RcvbufErrors in /proc/net/snmp (system-wide)",
	 "/proc/net/snmp 里的 RcvbufErrors（全系统）"},
	{"udp.unaccounted", "not accounted for", "去向不明"},
	{"udp.lost", "datagrams lost", "发生了丢包"},
	{"udp.s5.accounted",
	 "Datagrams were lost, and every lost one is in the kernel's drop counter: sent = "
	 "received + dropped. The sender was told nothing: every sendto() succeeded.",
	 "数据报丢了，但每一个都记在内核的丢包计数里：发出的 = 收到的 + 丢弃的。发送方却没有"
	 "得到任何通知：每次 sendto() 都是成功的。"},
	{"udp.s5.senderr",
	 "Datagrams were lost, and the counters add up: some sendto() calls failed at the "
	 "sender itself, every other lost datagram is in the kernel's drop counter.",
	 "数据报丢了，计数也对得上：有几次 sendto() 在发送端就失败了，其余丢掉的每一个都记在"
	 "内核的丢包计数里。"},
	{"udp.s5.unaccounted",
	 "Datagrams were lost, but the counters do not add up to what was sent; see the "
	 "numbers above.", "发生了丢包，但几个计数加起来和发出的数量对不上，请看上面的数字。"},
	{"udp.s5.nolost", "Nothing was lost this time: the buffer kept up with the burst.",
	 "这一次没有丢包：缓冲区撑住了这一批数据。"},

	/* ---- concurrency ---- */
	{"conc.title", "socklab demo concurrency: who waits, and what each server model costs",
	 "socklab 演示：并发模型——谁在等，各要付出什么代价"},
	{"cc.intro",
	 "The same server (one request: wait or compute, then echo) under six concurrency "
	 "models, as in the seeds' socketserver: TCPServer (iterative), ThreadingTCPServer "
	 "(thread), ForkingTCPServer (fork), and three that Python does not ship: prefork "
	 "workers, a thread pool, and an epoll event loop. Every client connects at the same "
	 "moment and sends one request; we time when each reply comes back and look at what "
	 "the server process used.",
	 "同一个服务端（每个请求先等待或计算一会儿，再把数据原样发回），分别用六种并发模型来跑。"
	 "前三种对应讲义里的 socketserver：TCPServer（iterative，一个一个处理）、"
	 "ThreadingTCPServer（thread，每个连接一个线程）、ForkingTCPServer（fork，每个连接一个"
	 "进程）；另外三种 Python 没有现成提供：预先创建好的工作进程（prefork）、线程池（pool）"
	 "和 epoll 事件循环。所有客户端在同一时刻连上来，各发一个请求；我们记下每个回复是什么"
	 "时候回来的，再看服务端进程用了多少资源。"},
	{"cc.col_model", "model", "模型"},
	{"cc.col_clients", "clients", "客户端"},
	{"cc.col_done", "replies at (ms)", "收到回复(毫秒)"},
	{"cc.col_wait", "wait (ms)", "多等(毫秒)"},
	{"cc.col_threads", "threads", "线程"},
	{"cc.col_procs", "procs", "子进程"},
	{"cc.col_cpu", "cpu (ms)", "CPU(毫秒)"},
	{"cc.col_rss", "rss (KiB)", "内存(KiB)"},
	{"cc.failed", "failed clients", "失败的客户端"},
	{"cc.work", "work per request", "每个请求的处理时间"},
	{"cc.cpus", "CPU cores", "CPU 核数"},
	{"cc.rounds", "rounds per model (the round whose last reply came first is shown)",
	 "每种模型跑的轮数（表中是最后一个回复最早的那一轮）"},
	{"cc.chart_y", "last reply (ms)", "最后一个回复（毫秒）"},
	{"cc.s1", "I/O-bound requests (the handler sleeps)", "I/O 密集型请求（处理函数在 sleep）"},
	{"cc.s1.say",
	 "Each request waits, as if for a disk or a database, without using the CPU. \"wait\" "
	 "is how much longer than the work itself the slowest client waited; threads and procs "
	 "are the most the server had at once (the server's main thread counts as one "
	 "thread). Each model runs several rounds against the same server and the table shows "
	 "the best one, so that other programs on the machine do not pass for waiting.",
	 "每个请求都要等一会儿，就像在等磁盘或数据库，但不占用 CPU。“多等”是最慢的客户端比"
	 "处理时间本身多等了多久；线程数和子进程数是服务端同一时刻最多用了多少（服务端的主线程"
	 "也算一个线程）。每种模型对同一个服务端跑几轮，表里列的是最好的一轮，免得机器上别的"
	 "程序造成的延迟被误当成模型本身的等待。"},
	{"cc.it_waited", "iterative: the second client waited for the first",
	 "iterative：第二个客户端要等第一个处理完"},
	{"cc.th_waited", "thread: the second client waited for the first",
	 "thread：第二个客户端要等第一个处理完"},
	{"cc.ep_waits", "epoll: all the waits overlapped in one loop",
	 "epoll：一个事件循环里，所有等待同时进行"},
	{"cc.s1.end",
	 "Iterative serves one client at a time: the second one waited a whole request. Threads "
	 "and processes serve them together, at the price of a thread or a process each; "
	 "prefork and the pool only as far as they have workers; one epoll loop serves "
	 "everybody's waiting at once with one event-loop thread.",
	 "iterative 一次只服务一个客户端：第二个客户端白白多等了一整个请求的时间。多线程和多进程"
	 "可以同时服务，代价是每个连接一个线程或一个进程；prefork 和线程池能同时服务多少，取决于"
	 "工作进程或线程的个数；而 epoll 只用一个事件循环线程，就能同时照顾所有人的等待。"},
	{"cc.s1.odd",
	 "The measurement did not show the expected differences between the models in this run "
	 "(see the table); the machine may be overloaded.",
	 "这一次没有测出几种模型之间应有的差别（见上表），可能是机器太忙了。"},
	{"cc.s2", "CPU-bound requests (the handler computes)", "CPU 密集型请求（处理函数在计算）"},
	{"cc.s2.say",
	 "Now each request does the same fixed amount of computation: it uses that much of its "
	 "thread's CPU time. Waiting can overlap without limit; computing overlaps only as far "
	 "as there are CPU cores.",
	 "现在每个请求都要做同样多的计算：各自占用同样长的 CPU 时间。等待可以随便重叠，计算"
	 "却只能在几个 CPU 核上同时进行，有几个核就最多同时算几个。"},
	{"cc.req_cpu", "CPU time the requests need (clients x work)",
	 "这些请求需要的 CPU 时间（客户端数 × 处理时间）"},
	{"cc.th_cpu", "thread, many clients: CPU time the server used",
	 "thread，多个客户端：服务端实际用掉的 CPU 时间"},
	{"cc.floor", "the soonest the last reply can come with these cores",
	 "按这台机器的核数，最后一个回复最早能在什么时候回来"},
	{"cc.th_last", "thread, many clients: last reply", "thread，多个客户端：最后一个回复"},
	{"cc.ep_last", "epoll, many clients: last reply", "epoll，多个客户端：最后一个回复"},
	{"cc.full_cpu", "thread: the server did all the computation asked",
	 "thread：服务端完成了全部计算"},
	{"cc.ep_serial", "epoll: CPU work done one request at a time",
	 "epoll：只能一个请求接一个请求地计算"},
	{"cc.th_cores", "thread: no sooner than the cores allow", "thread：不可能比核数允许的更快"},
	{"cc.th_overlap", "thread: computed on several cores at once",
	 "thread：在多个核上同时计算"},
	{"cc.s2.end",
	 "The single epoll loop, the best at waiting, is as serial as iterative when the work "
	 "is computation. Threads and processes spread the work over the cores, but no further: "
	 "the last reply came no sooner than the total work divided by the number of cores. "
	 "Choose the model for the kind of work.",
	 "在等待上最省资源的单个 epoll 循环，一遇到计算就和 iterative 一样只能排队。多线程和"
	 "多进程能把计算分到几个核上，但也仅此而已：最后一个回复不可能早于“总计算量 ÷ 核数”。"
	 "选哪种并发模型，要看请求主要是在等还是在算。"},
	{"cc.s2.odd",
	 "The CPU-bound runs did not line up with the number of cores in this run (see the "
	 "values above); other load on the machine takes CPU time from the server.",
	 "这一次 CPU 密集型的结果和核数对不上（见上面的数值）：机器上的其他负载会抢走服务端的 "
	 "CPU 时间。"},
};

const char *demo_t(const struct demo *d, const char *key)
{
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (strcmp(texts[i].key, key) == 0)
			return d->o.lang == DEMO_ZH ? texts[i].zh : texts[i].en;
	return key;
}
