import { useState } from 'react';
import { Button, Grid, Typography } from '@material-ui/core';
import {
  Content,
  Header,
  InfoCard,
  Page,
  ProxiedSignInPage,
} from '@backstage/core-components';
import { IdentityApi, SignInPageProps } from '@backstage/core-plugin-api';

const STORAGE_KEY = 'brom.developmentSignIn';
const USER_HEADER = 'x-brom-development-user';

/** Who one can be in development: the guest, or a member of either example team. */
const CHOICES = [
  {
    id: 'alice',
    provider: 'development',
    title: 'Alice',
    description: 'Member of the Payments team: owns payments-api and invoicing.',
  },
  {
    id: 'bob',
    provider: 'development',
    title: 'Bob',
    description: 'Member of the Logistics team: owns shipping-service and warehouse.',
  },
  {
    id: 'guest',
    provider: 'guest',
    title: 'Guest',
    description: 'Backstage guest user, also a member of the Payments team.',
  },
];

/** Keeps the choice across reloads and forgets it on sign-out, so one can switch users. */
function forgetChoiceOnSignOut(identity: IdentityApi): IdentityApi {
  return {
    getProfileInfo: () => identity.getProfileInfo(),
    getBackstageIdentity: () => identity.getBackstageIdentity(),
    getCredentials: () => identity.getCredentials(),
    signOut: async () => {
      localStorage.removeItem(STORAGE_KEY);
      await identity.signOut();
    },
  };
}

/**
 * Development sign-in: pick a user so the approval flow (one team requests, the other
 * approves) can be tried by one person. Production signs in through Feide instead.
 */
export const DevelopmentSignInPage = (props: SignInPageProps) => {
  const [chosen, setChosen] = useState(() => localStorage.getItem(STORAGE_KEY));
  const choice = CHOICES.find(c => c.id === chosen);

  if (choice) {
    return (
      <ProxiedSignInPage
        {...props}
        provider={choice.provider}
        headers={choice.provider === 'development' ? { [USER_HEADER]: choice.id } : undefined}
        onSignInSuccess={identity => props.onSignInSuccess(forgetChoiceOnSignOut(identity))}
      />
    );
  }

  return (
    <Page themeId="home">
      <Header title="BROM" subtitle="Self-service notifications between applications" />
      <Content>
        <Typography variant="h5" gutterBottom>
          Sign in (development)
        </Typography>
        <Grid container spacing={3}>
          {CHOICES.map(c => (
            <Grid item xs={12} md={4} key={c.id}>
              <InfoCard title={c.title}>
                <Typography paragraph>{c.description}</Typography>
                <Button
                  variant="contained"
                  color="primary"
                  onClick={() => {
                    localStorage.setItem(STORAGE_KEY, c.id);
                    setChosen(c.id);
                  }}
                >
                  Sign in as {c.title}
                </Button>
              </InfoCard>
            </Grid>
          ))}
        </Grid>
      </Content>
    </Page>
  );
};
