# Unit tests of the budget module against a mocked AWS provider.

mock_provider "aws" {}

variables {
  name                = "hello-service-test"
  limit_amount_usd    = 50
  notification_emails = ["finance@example.com"]
  sns_topic_arn       = "arn:aws:sns:eu-west-1:123456789012:hello-service-test-alarms"
  cost_filter_tags    = { Project = "hello-service" }
}

run "monthly_cost_budget" {
  command = plan

  assert {
    condition = (
      aws_budgets_budget.monthly.name == "hello-service-test-monthly" &&
      aws_budgets_budget.monthly.budget_type == "COST" &&
      aws_budgets_budget.monthly.time_unit == "MONTHLY" &&
      aws_budgets_budget.monthly.limit_unit == "USD" &&
      tonumber(aws_budgets_budget.monthly.limit_amount) == 50
    )
    error_message = "The budget must be a monthly cost budget of limit_amount_usd dollars."
  }

  assert {
    condition     = output.budget_name == "hello-service-test-monthly"
    error_message = "budget_name must be the budget's name."
  }
}

run "notification_thresholds" {
  command = plan

  assert {
    condition = toset([
      for n in aws_budgets_budget.monthly.notification : "${n.notification_type}-${n.threshold}"
    ]) == toset(["ACTUAL-80", "ACTUAL-100", "FORECASTED-100"])
    error_message = "Notifications must be ACTUAL at 80 % and 100 % and FORECASTED at 100 %."
  }

  assert {
    condition = alltrue([
      for n in aws_budgets_budget.monthly.notification :
      n.comparison_operator == "GREATER_THAN" && n.threshold_type == "PERCENTAGE"
    ])
    error_message = "Thresholds must be percentages of the limit, crossed upwards."
  }

  assert {
    condition = alltrue([
      for n in aws_budgets_budget.monthly.notification :
      n.subscriber_email_addresses == toset(["finance@example.com"]) &&
      n.subscriber_sns_topic_arns == toset(["arn:aws:sns:eu-west-1:123456789012:hello-service-test-alarms"])
    ])
    error_message = "Every notification must reach the emails and the topic."
  }
}

run "cost_filter_by_tag" {
  command = plan

  variables {
    cost_filter_tags = { Project = "hello-service", Environment = "dev" }
  }

  assert {
    condition = (
      length(aws_budgets_budget.monthly.cost_filter) == 1 &&
      one(aws_budgets_budget.monthly.cost_filter).name == "TagKeyValue" &&
      toset(one(aws_budgets_budget.monthly.cost_filter).values) == toset(["user:Project$hello-service", "user:Environment$dev"])
    )
    error_message = "Tags must become one TagKeyValue filter with user:KEY$VALUE values."
  }
}

run "no_tags_counts_the_whole_account" {
  command = plan

  variables {
    cost_filter_tags = {}
  }

  assert {
    condition     = length(aws_budgets_budget.monthly.cost_filter) == 0
    error_message = "Without tags there must be no cost filter."
  }
}

run "topic_only" {
  command = plan

  variables {
    notification_emails = []
  }

  assert {
    condition     = alltrue([for n in aws_budgets_budget.monthly.notification : length(n.subscriber_email_addresses) == 0 && length(n.subscriber_sns_topic_arns) == 1])
    error_message = "With only a topic, notifications must go to the topic alone."
  }
}

run "emails_only" {
  command = plan

  variables {
    sns_topic_arn = null
  }

  assert {
    condition     = alltrue([for n in aws_budgets_budget.monthly.notification : length(n.subscriber_sns_topic_arns) == 0 && length(n.subscriber_email_addresses) == 1])
    error_message = "Without a topic, notifications must go to the emails alone."
  }
}

run "rejects_no_subscriber" {
  command = plan

  variables {
    notification_emails = []
    sns_topic_arn       = null
  }

  expect_failures = [var.notification_emails]
}

run "rejects_non_positive_limit" {
  command = plan

  variables {
    limit_amount_usd = 0
  }

  expect_failures = [var.limit_amount_usd]
}

run "rejects_invalid_email" {
  command = plan

  variables {
    notification_emails = ["finance"]
  }

  expect_failures = [var.notification_emails]
}

run "rejects_invalid_topic_arn" {
  command = plan

  variables {
    sns_topic_arn = "hello-service-test-alarms"
  }

  expect_failures = [var.sns_topic_arn]
}

run "rejects_more_than_ten_emails" {
  command = plan

  variables {
    notification_emails = [for i in range(11) : "person${i}@example.com"]
  }

  expect_failures = [var.notification_emails]
}
