package api

import (
	"context"
	"time"

	"github.com/callctl/callctl/callflow"
	"github.com/callctl/callctl/pbxusers"
	"github.com/callctl/callctl/phonebook"
)

// Calls is the core's calls service, as dialects use it (*callflow.Calls).
type Calls interface {
	ClickToCall(ctx context.Context, r callflow.ClickToCallRequest) (callflow.CallRef, error)
	Dial(ctx context.Context, r callflow.DialRequest) (callflow.CallRef, error)
	Spy(ctx context.Context, r callflow.SpyRequest) (callflow.CallRef, error)
	Hangup(ctx context.Context, channel string) error
	ListCalls(ctx context.Context) []callflow.CallChannel
	LineCalls(ctx context.Context, sel callflow.LineSelector) ([]callflow.LineCall, error)
	OutboundIVR(ctx context.Context, r callflow.OutboundIVRRequest) (callflow.CallRef, error)
}

// Lines is the core's lines service (*callflow.Lines).
type Lines interface {
	SIPStatus(ctx context.Context) ([]callflow.SIPPeer, error)
}

// Agents is the core's agents and queues service (*callflow.Agents).
type Agents interface {
	Login(ctx context.Context, r callflow.AgentLoginRequest) error
	Logout(ctx context.Context, a callflow.AgentCredentials) error
	Pause(ctx context.Context, a callflow.AgentCredentials, paused bool) error
	AddQueue(ctx context.Context, a callflow.AgentCredentials, m callflow.QueueMembership) error
	RemoveQueue(ctx context.Context, a callflow.AgentCredentials, queue string) error
	Status(ctx context.Context, a callflow.AgentCredentials) (callflow.AgentState, error)
	QueueStatus(ctx context.Context, name string) (callflow.Queue, error)
}

// Recordings is the core's recordings service (*callflow.Recordings).
type Recordings interface {
	Move(ctx context.Context, r callflow.MoveRecordingRequest) error
	Open(ctx context.Context, recordID, legID uint64) (callflow.RecordingFile, error)
}

// Operators is the core's PBX users and operator statuses service
// (*callflow.Operators).
type Operators interface {
	User(ctx context.Context, id int) (callflow.PBXUser, error)
	Users(ctx context.Context) ([]callflow.PBXUser, error)
	Statuses(ctx context.Context) ([]pbxusers.Status, error)
	SetStatus(ctx context.Context, userID, statusID int) error
	History(ctx context.Context, userID int, from, to time.Time) ([]pbxusers.Interval, error)
}

// Forwards is the core's call forwards service (*callflow.Forwards).
type Forwards interface {
	Set(ctx context.Context, f callflow.Forward) error
	List(ctx context.Context, number string) ([]callflow.Forward, error)
	Delete(ctx context.Context, number, typ string) error
}

// Phonebook is the core's phonebook service (*callflow.Phonebook).
type Phonebook interface {
	Set(ctx context.Context, e phonebook.Entry) error
	Get(ctx context.Context, number string) (phonebook.Entry, error)
	Delete(ctx context.Context, number string) error
	List(ctx context.Context, offset, limit int) ([]phonebook.Entry, int, error)
	Fields(ctx context.Context) ([]phonebook.Field, error)
}

// Services are the core's services the dialects call.
type Services struct {
	Calls      Calls
	Lines      Lines
	Agents     Agents
	Recordings Recordings
	Operators  Operators
	Forwards   Forwards
	Phonebook  Phonebook
}

// ServicesOf returns the services of the core.
func ServicesOf(c *callflow.Core) Services {
	return Services{Calls: c.Calls, Lines: c.Lines, Agents: c.Agents, Recordings: c.Recordings, Operators: c.Operators,
		Forwards: c.Forwards, Phonebook: c.Phonebook}
}
