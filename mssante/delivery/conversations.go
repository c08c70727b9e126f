package delivery

import (
	"context"
	"encoding/json"
	"time"

	"github.com/mssante-go/sdk/msc"
)

// conversationStore is the durable msc.Store of the outbox: the
// conversations live in mss_conversation, in the outbox's database. Called
// with a context from withTxContext (the outbox's own updates), it works in
// that transaction, so that a conversation changes with the delivery status
// that caused it.
type conversationStore struct{ o *Outbox }

var _ msc.Store = (*conversationStore)(nil)

type txKey struct{}

// withTxContext returns a context that carries tx for the store.
func withTxContext(ctx context.Context, tx dbtx) context.Context {
	return context.WithValue(ctx, txKey{}, tx)
}

func txFrom(ctx context.Context) dbtx {
	tx, _ := ctx.Value(txKey{}).(dbtx)
	return tx
}

// conversationJSON is the stored form of an msc.Conversation (its enums as
// numbers and names, independent of their text forms).
type conversationJSON struct {
	State            int       `json:"state"`
	PatientInitiated bool      `json:"patient_initiated,omitempty"`
	ClosedBy         int       `json:"closed_by,omitempty"`
	Bounce           string    `json:"bounce,omitempty"`
	LastSent         time.Time `json:"last_sent,omitzero"`
	LastReceived     time.Time `json:"last_received,omitzero"`
	Updated          time.Time `json:"updated,omitzero"`
}

func (s *conversationStore) Get(ctx context.Context, k msc.Key) (msc.Conversation, bool, error) {
	var q querier = s.o.db
	if tx := txFrom(ctx); tx != nil {
		q = tx
	}
	return getConversation(ctx, q, k, "")
}

func getConversation(ctx context.Context, q querier, k msc.Key, forUpdate string) (msc.Conversation, bool, error) {
	var data string
	err := q.queryRow(ctx, "SELECT data FROM mss_conversation WHERE patient = $1 AND mailbox = $2"+forUpdate,
		string(k.Patient), k.Mailbox).Scan(&data)
	if isNoRows(err) {
		return msc.Conversation{Key: k}, false, nil
	}
	if err != nil {
		return msc.Conversation{}, false, err
	}
	var j conversationJSON
	if err := json.Unmarshal([]byte(data), &j); err != nil {
		return msc.Conversation{}, false, err
	}
	return msc.Conversation{
		Key: k, State: msc.State(j.State), PatientInitiated: j.PatientInitiated, ClosedBy: msc.ClosingForm(j.ClosedBy),
		Bounce: msc.Kind(j.Bounce), LastSent: j.LastSent, LastReceived: j.LastReceived, Updated: j.Updated,
	}, true, nil
}

// Update is atomic for one key: a transaction that locks the row
// (PostgreSQL FOR UPDATE; SQLite's transactions write one at a time).
func (s *conversationStore) Update(ctx context.Context, k msc.Key, fn func(c *msc.Conversation) error) error {
	if tx := txFrom(ctx); tx != nil {
		return s.update(ctx, tx, k, fn)
	}
	_, _, err := withTx(ctx, s.o, func(tx dbtx) (struct{}, struct{}, error) {
		return struct{}{}, struct{}{}, s.update(ctx, tx, k, fn)
	})
	return err
}

func (s *conversationStore) update(ctx context.Context, tx dbtx, k msc.Key, fn func(c *msc.Conversation) error) error {
	lock := ""
	if s.o.db.dialect() == dialectPostgres {
		lock = " FOR UPDATE"
	}
	c, _, err := getConversation(ctx, tx, k, lock)
	if err != nil {
		return err
	}
	if err := fn(&c); err != nil {
		return err
	}
	b, err := json.Marshal(conversationJSON{
		State: int(c.State), PatientInitiated: c.PatientInitiated, ClosedBy: int(c.ClosedBy), Bounce: string(c.Bounce),
		LastSent: c.LastSent, LastReceived: c.LastReceived, Updated: c.Updated,
	})
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO mss_conversation (patient, mailbox, data, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (patient, mailbox) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`,
		string(k.Patient), k.Mailbox, string(b), micros(s.o.now()))
	return err
}
