/** Words too common to be topics (English function words and chat filler). */
export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    "able about above actually after again against also although always among another anyone anything around because been before being below between both cannot could does doing done down during each either else even ever every from further give given going good great have having here hers herself himself however into itself just know like little look made make many maybe more most much must myself need never next once only other ours ourselves over please pretty quite rather really same says should show since some something still such sure take than thank thanks that their theirs them themselves then there these they thing things think this those though through thus together under until upon used using very want well were what whatever when where whether which while whom whose will with within without would your yours yourself yourselves " +
    "hello okay yeah also could help following example write create provide explain tell best please based without answer question questions name live image let's lets it's i'm i've don't can't won't that's what's here's there's you're we're they're"
  ).split(" "),
);
