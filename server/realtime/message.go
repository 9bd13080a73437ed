package realtime

import (
	"encoding/json"
	"time"
)

// Server → client message types that are not organization broadcasts.
const (
	TypeConnected = "connected"
	TypePong      = "pong"
	TypeError     = "error"
)

// Client → server message types.
const (
	TypePing        = "ping"
	TypeSyncRequest = "sync_request"
)

// reply is a message to one client: {type, data}.
type reply struct {
	Type string `json:"type"`
	Data any    `json:"data"`
}

// ConnectedData is the data of the "connected" message.
type ConnectedData struct {
	Message        string    `json:"message"`
	OrganizationID string    `json:"organizationId"`
	UserID         string    `json:"userId"`
	Timestamp      time.Time `json:"timestamp"`
}

// clientMessage is what clients send: {type, data:{agentId}}.
type clientMessage struct {
	Type string `json:"type"`
	Data struct {
		AgentID string `json:"agentId"`
	} `json:"data"`
}

// replyFrame encodes one reply as a text frame.
func replyFrame(typ string, data any) []byte {
	b, err := json.Marshal(reply{Type: typ, Data: data})
	if err != nil {
		panic("BUG: cannot encode reply: " + err.Error())
	}
	return textFrame(b)
}

func connectedMessage(orgID, userID string) []byte {
	return replyFrame(TypeConnected, ConnectedData{
		Message: "Connected to real-time sync", OrganizationID: orgID, UserID: userID,
		Timestamp: time.Now().UTC(),
	})
}

func pongMessage() []byte {
	return replyFrame(TypePong, map[string]time.Time{"timestamp": time.Now().UTC()})
}

func errorMessage(msg string) []byte {
	return replyFrame(TypeError, map[string]string{"message": msg})
}

// handleMessage acts on one client text message; it answers protocol
// mistakes with an error message rather than closing.
func (c *conn) handleMessage(payload []byte) error {
	var m clientMessage
	if err := json.Unmarshal(payload, &m); err != nil {
		return c.reply(errorMessage("invalid message: want JSON {type, data}"))
	}
	switch m.Type {
	case TypePing:
		return c.reply(pongMessage())
	case TypeSyncRequest:
		agentID, refusal := c.hub.syncAgent(c.org.id, m.Data.AgentID)
		if refusal != "" {
			return c.reply(errorMessage(refusal))
		}
		if err := c.hub.startSync(c.org.id, agentID, c.userID); err != nil {
			return c.reply(errorMessage(err.Error()))
		}
		return nil
	default:
		return c.reply(errorMessage("unknown message type " + quote(m.Type)))
	}
}

// reply writes one message to this client.
func (c *conn) reply(frame []byte) error {
	if err := c.write(frame); err != nil {
		return err
	}
	c.hub.metrics.out.Inc()
	return nil
}

func quote(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	b, _ := json.Marshal(s)
	return string(b)
}
