package crypto

// Compatible reports whether a socket of type ours may talk to a peer of
// type peer: RFC 37's table, which is exactly libzmq's check_socket_type,
// draft types included (zmtp.md §13). Names are compared case-sensitively,
// as libzmq does ("dealer" is not a DEALER).
func Compatible(ours, peer string) bool {
	switch ours {
	case "REQ":
		return peer == "REP" || peer == "ROUTER"
	case "REP":
		return peer == "REQ" || peer == "DEALER"
	case "DEALER":
		return peer == "REP" || peer == "DEALER" || peer == "ROUTER"
	case "ROUTER":
		return peer == "REQ" || peer == "DEALER" || peer == "ROUTER"
	case "PUB", "XPUB":
		return peer == "SUB" || peer == "XSUB"
	case "SUB", "XSUB":
		return peer == "PUB" || peer == "XPUB"
	case "PUSH":
		return peer == "PULL"
	case "PULL":
		return peer == "PUSH"
	case "PAIR":
		return peer == "PAIR"
	case "CLIENT":
		return peer == "SERVER"
	case "SERVER":
		return peer == "CLIENT"
	case "RADIO":
		return peer == "DISH"
	case "DISH":
		return peer == "RADIO"
	case "SCATTER":
		return peer == "GATHER"
	case "GATHER":
		return peer == "SCATTER"
	case "PEER":
		return peer == "PEER"
	case "CHANNEL":
		return peer == "CHANNEL"
	}
	return false
}
