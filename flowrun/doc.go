// Package flowrun runs call flows (package flow) over ARI, in the Stasis
// application "callctl": the shipped dialplan (extensions_callctl_flow.conf)
// sends a DID's call in as Stasis(callctl,did,<number>), a technical
// extension's as Stasis(callctl,flow,<exten>), an extension-to-extension
// call as Stasis(callctl,exten,<number>), and a ring or queue step that
// came back unanswered as Stasis(callctl,resume,<flow>,<step>,<index>,<status>).
//
// An extension call runs the built-in flow: continue the caller at
// callctl-exten-ring,<number>,1, where the dialplan rings the line with the
// call forwards it read from AstDB before Stasis (callctl-vipex-lookup;
// Asterisk blocks DB() after Stasis). No ringing of its own, no
// CALLCTL_FLOW_EXTEN, no Local channel: the call's legs and record are a
// plain Dial's. Over Config.MaxCalls, or not running, the dialplan after
// Stasis() rings the line all the same.
//
// Core types: Runner (Run reads the application's events and starts one
// goroutine per call), Config (limits), Deps (ARI, the flow source Flows,
// the PBX directory, webhooks, the CDR engine's live view, AMI for AstDB).
//
// A call's flow, on the wire:
//   - entry: Ring (the caller hears ringing while the flow decides), then
//     SetVar CALLCTL_FLOW_EXTEN (the CDR engine opens the flow leg),
//     CALLCTL_FLOW_DID, CHANNEL(language);
//   - menu, playback, say_digits: Answer once, Play sound:<name> or
//     digits:<digits>, keys from ChannelDtmfReceived (a key stops the
//     prompt); the keys chosen accumulate in CALLCTL_IVR_DIGITS ("1,2");
//   - tag: SetVar CALLCTL_TAGS; notify: a call_notify delivery queued for
//     the client (webhook.Outbox.NotifyStep); query: webhook.Outbox.Query
//     under the step's timeout;
//   - ring, queue, voicemail: SetVar of the step's values and of
//     CALLCTL_FLOW_RESUME, then Continue into callctl-flow-ring (Dial, a
//     single line through callctl-vipex-dial and its call forwards; a
//     group of lines without forwards as one Dial of their phones, with
//     one, every member through callctl-flow-member and its forwards),
//     callctl-flow-queue (Queue) or callctl-flow-voicemail (VoiceMail): the
//     legs are ordinary Dial and Queue legs (ringback or music on hold,
//     transfers, pickup, sub-records). Answered, the call ends in the
//     dialplan; not answered, it comes back as a resume and the flow goes
//     on at the step's exit for DIALSTATUS or QUEUESTATUS;
//   - hangup, the end of the flow: Hangup with a Q.850 cause (reason_code).
//
// A flow never leaves a caller in silence: a failed step goes to the
// flow's default step (once), else the call is hung up with cause 41; a
// call over Config.MaxCalls goes back to the dialplan at once (a DID: its
// static destination; an extension call: the line rung by the dialplan; a
// technical extension: cause 34); Config.MaxSteps
// ends a loop with cause 41. Every ARI request has Config.RequestTimeout.
// When ARI connects, the DIDs' fallbacks (pbx.dids) are written to AstDB,
// family callctl-did, where the dialplan finds them when callctl does not
// run.
//
// Calls left in Stasis (recover.go): Asterisk keeps a channel in the
// application when callctl restarts or its websocket drops, and sends no
// new StasisStart for it. On every ARI connect the runner lists the
// application's channels (GET /applications/callctl); one of the shipped
// dialplan's (known by its snapshot's Stasis() arguments, else by its
// context: callctl-did, callctl-flow, callctl-flow-resume, callctl-exten)
// that no session owns after strandGrace is recovered, at most
// recoverWorkers at once: an extension call rings its extension; a flow's
// call goes to the flow's default step, else a DID's static destination
// (callctl-did-static-fresh), else cause 41. Sessions that ran across a
// websocket drop go on; one whose channel is no longer in the application
// ends, and a prompt checks whether its playback finished meanwhile.
//
// Caveats: the state of a call in a flow is its goroutine while in Stasis
// and the channel's variables while in the dialplan; a recovered call
// loses the step it was in (not its keys and tags). Events lost to a full
// queue (EventsLost) or while the websocket is down may lose a key.
// Asterisk blocks DB() on a channel thread that has been in Stasis, hence
// the Local channels (callctl-flow-line, callctl-flow-member) for a
// line's ring.
//
// Metrics (namespace callctl, subsystem flowrun): calls_running,
// steps_total{kind}, errors_total{kind}, fallbacks_total{reason},
// query_fallbacks_total, events_dropped_total, extension_calls_total,
// recovered_total{action}.
package flowrun
