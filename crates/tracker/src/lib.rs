//! What an application wires up so that every member of an app group — an app, its
//! extension, its daemon — shares one store and stays current with what the others wrote:
//! the [app group](group) directory with its shared key-value store, the history
//! [tracker](tracker) that merges other members' transactions into this member's contexts,
//! and the [cleaner](cleaner) that deletes history once every member has seen it.
