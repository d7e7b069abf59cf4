package callflow

import "slices"

// Action names a core action: what an API user may be permitted to do.
// Every dialect action maps to exactly one, so that a permission holds in
// every dialect. The names are stored in users' permission lists: never
// rename one (add a store migration if one must change).
type Action string

// The core actions.
const (
	ActionClickToCall   Action = "click_to_call"   // ring a line, on answer dial a number
	ActionDialToContext Action = "dial_to_context" // dial a number, on answer run a dialplan context
	ActionHangup        Action = "hangup"          // hang up a channel of callctl's lines and trunks
	ActionListCalls     Action = "list_calls"      // the calls in progress
	ActionSpy           Action = "spy"             // ring a supervisor, on answer listen to a line or channel
	ActionSIPStatus     Action = "sip_status"      // the lines' and trunks' registrations
	ActionAgentLogin    Action = "agent_login"
	ActionAgentLogout   Action = "agent_logout"
	ActionAgentPause    Action = "agent_pause"
	ActionAgentUnpause  Action = "agent_unpause"
	ActionAgentQueueAdd Action = "agent_queue_add"    // add a queue to an agent's queues
	ActionAgentQueueDel Action = "agent_queue_remove" // take a queue from an agent's queues
	ActionAgentStatus   Action = "agent_status"
	ActionQueueStatus   Action = "queue_status"
	ActionMoveRecording Action = "move_recording"      // move or rename the recording of a call
	ActionGetRecording  Action = "get_recording"       // read the recording of a finished call
	ActionReadUsers     Action = "read_users"          // the PBX users, the operator statuses and their log
	ActionSetOperator   Action = "set_operator_status" // change an operator's status (and its queue memberships)
	ActionCallForwards  Action = "call_forwards"       // set, list and delete the lines' call forwards
	ActionPhonebook     Action = "phonebook"           // set, read and delete phonebook entries
)

var actions = []Action{
	ActionAgentLogin, ActionAgentLogout, ActionAgentPause, ActionAgentQueueAdd, ActionAgentQueueDel,
	ActionAgentStatus, ActionAgentUnpause, ActionCallForwards, ActionClickToCall, ActionDialToContext, ActionGetRecording, ActionHangup,
	ActionListCalls, ActionMoveRecording, ActionPhonebook, ActionQueueStatus, ActionReadUsers, ActionSIPStatus, ActionSetOperator, ActionSpy,
}

// Actions returns every core action, sorted by name.
func Actions() []Action { return slices.Clone(actions) }

// Known reports whether name is a core action.
func Known(name string) bool { return slices.Contains(actions, Action(name)) }
