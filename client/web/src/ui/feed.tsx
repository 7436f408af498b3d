/** World, friends and collective posts: built on the collectives SDK (issue 5). */
export function Feed() {
  return (
    <section class="card coming" aria-labelledby="feed-h">
      <h2 id="feed-h">Feed</h2>
      <p class="tag">Coming with collectives</p>
      <p>
        World, friends and collective posts (text and one image, with a lifetime you choose) arrive
        here with the collectives release.
      </p>
    </section>
  );
}

/** Collectives: members with vouch counts, quorum, vouch, join and leave (issue 5). */
export function Collectives() {
  return (
    <section class="card coming" aria-labelledby="coll-h">
      <h2 id="coll-h">Collectives</h2>
      <p class="tag">Coming with collectives</p>
      <p>
        Found a collective, see its members and their vouch counts, vouch for a candidate, join and
        leave: coming with the collectives release.
      </p>
    </section>
  );
}
